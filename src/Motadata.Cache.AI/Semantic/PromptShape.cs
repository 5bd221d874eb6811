using System.Collections.Frozen;
using System.Text;

namespace Motadata.Cache.AI;

/// <summary>
/// What a prompt asks, as <see cref="SemanticPromptGuard"/> compares it: the prompt cut into role chunks. A chunk
/// starts at a role word (<c>to</c>, <c>from</c>, <c>in</c>, <c>than</c>, <c>minus</c>, <c>after</c>, <c>by</c>,
/// <c>of</c>, <c>if</c>...) or a comma and holds, in order, the content words and numbers up to the next one; the
/// words before the first role word form the head chunk. Two prompts ask the same thing only when they have the same
/// chunks: the order of role chunks is free ("flights to Denver from Boston" = "flights from Boston to Denver", "In
/// Python, reverse a list" = "reverse a list in Python"), that of the clauses (head and comma chunks) is not ("When
/// Alice pays, does Bob pay?"), the order inside a chunk is not either ("Alice owes Bob" ≠ "Bob owes Alice"), and a
/// word moved to another role word's chunk is another question ("10 miles to km" ≠ "10 km to miles").
/// </summary>
/// <remarks>
/// Normalised first: lower case, punctuation, contractions (<c>n't</c> is a negation, <c>what's</c> is <c>what</c>),
/// the possessive (<c>France's capital</c> reads <c>capital of France</c>), a handful of phrasal verbs (<c>turn
/// on</c> = <c>enable</c>, <c>log in</c> = <c>login</c>), British <c>-ise</c>, plain suffixes (<c>-s</c>, <c>-ed</c>,
/// <c>-ing</c>, <c>-ly</c>), politeness and filler words (please, could you, tell me, usually, exactly, is it
/// possible). Two single words joined by <c>and</c>, <c>or</c> or <c>vs</c> at the edges of a chunk are put in
/// alphabetical order ("RAM and storage" = "storage and RAM"): those relations are symmetric. Question words
/// (who, what, when, where, why, how) and modal classes (should, must, will) are compared as sets.
/// </remarks>
internal sealed class PromptShape
{
    private const string Negation = "\u00acnot";
    private const string Comma = ",";
    private const string Possessive = "'s";
    private const string Conjunction = "\u2227";

    // Words that change nothing in what is asked (English): articles, pronouns, auxiliaries, politeness, fillers.
    private static readonly FrozenSet<string> s_stopWords = FrozenSet.ToFrozenSet(
        ("a an the is are was were be been being am do does did can could would may might my mine your yours our ours it its his their theirs " +
        "this that these those there here so too very just please kindly tell explain describe show give let " +
        "have has had get got make right now exactly usually actually really currently possible possibly able way " +
        "some any much many also ever still whether then hi hello hey thanks thank").Split(' '),
        StringComparer.Ordinal);

    // Words that fill roles: each starts a chunk of its own, so what follows it keeps its role.
    private static readonly FrozenSet<string> s_roleWords = FrozenSet.ToFrozenSet(
        ("to from in into onto than minus plus times divided multiplied over under after before by of between per until since for on at with about as via through " +
        "against toward towards within beside behind below above across if unless because while although though whenever").Split(' '),
        StringComparer.Ordinal);

    // Two single terms around these are unordered ("Python vs Java", "RAM and storage").
    private static readonly FrozenSet<string> s_conjunctions = FrozenSet.ToFrozenSet("and or vs versus".Split(' '), StringComparer.Ordinal);

    private static readonly FrozenSet<string> s_negations = FrozenSet.ToFrozenSet(
        "not no never without cannot nor none nothing nobody neither".Split(' '), StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> s_questionWords = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["who"] = "who", ["whom"] = "who", ["whose"] = "whose", ["what"] = "what", ["which"] = "what", ["when"] = "when",
        ["where"] = "where", ["why"] = "why", ["how"] = "how",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // Who does what to whom: "Do I owe you money?" is not "Do you owe me money?". Possessives (my, your) are stop words.
    private static readonly FrozenDictionary<string, string> s_persons = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["i"] = "@1", ["me"] = "@1", ["we"] = "@1p", ["us"] = "@1p", ["you"] = "@2", ["he"] = "@3m", ["him"] = "@3m",
        ["she"] = "@3f", ["her"] = "@3f", ["they"] = "@3p", ["them"] = "@3p",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> s_modals = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["should"] = "should", ["ought"] = "should", ["must"] = "must", ["will"] = "will", ["shall"] = "will", ["wo"] = "will",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // Two-word verbs that mean one thing, and their one-word forms.
    private static readonly FrozenDictionary<string, string> s_phrases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["turn on"] = "enable", ["switch on"] = "enable", ["turn off"] = "disable", ["switch off"] = "disable",
        ["log in"] = "login", ["sign in"] = "login", ["log on"] = "login", ["log out"] = "logout", ["sign out"] = "logout", ["log off"] = "logout",
        ["set up"] = "setup", ["chief executive"] = "ceo", ["sign up"] = "signup",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // Adverbs of time: a chunk each, wherever they stand.
    private static readonly FrozenSet<string> s_timeWords = FrozenSet.ToFrozenSet(
        "today tomorrow yesterday tonight nowadays".Split(' '), StringComparer.Ordinal);

    // Words after which "to" starts a verb ("how to reset"), not a role.
    private static readonly FrozenSet<string> s_beforeInfinitive = FrozenSet.ToFrozenSet(
        "how what where when which who whether want wants like possible able way going trying try".Split(' '), StringComparer.Ordinal);

    private static readonly (string British, string American)[] s_spellings = [("ise", "ize"), ("ised", "ized"), ("ises", "izes"), ("ising", "izing")];

    private static readonly string[] s_suffixes = ["ing", "ed", "es", "s", "ly"];

    private PromptShape()
    {
    }

    /// <summary>The numbers (any word with a digit), sorted.</summary>
    public List<string> Numbers { get; } = [];

    /// <summary>The chunks that start at a role word, each as the role word, a bar and its terms in order; sorted (a role phrase may move).</summary>
    public List<string> Chunks { get; } = [];

    /// <summary>The chunks that start at the beginning or at a comma, in order: "If Alice pays, does Bob pay?" is not "If Bob pays, does Alice pay?".</summary>
    public List<string> Clauses { get; } = [];

    public int Negations { get; private set; }

    /// <summary>The persons named by pronouns (<c>@1</c> for I/me, <c>@2</c> for you...).</summary>
    public SortedSet<string> Persons { get; } = new(StringComparer.Ordinal);

    /// <summary>The question words and modal classes, sorted and distinct.</summary>
    public SortedSet<string> Markers { get; } = new(StringComparer.Ordinal);

    public static PromptShape Of(string text)
    {
        var shape = new PromptShape();
        var tokens = Rewrite(Tokenize(text));
        var chunk = new List<string>();
        var role = string.Empty;
        foreach (var token in tokens)
        {
            if (s_timeWords.Contains(token))
            {
                // "sunset in Paris today" = "sunset today in Paris": a time adverb is a chunk of its own.
                shape.Close(role, chunk);
                shape.Chunks.Add(token + "|");
                continue;
            }

            if (token == Comma || s_roleWords.Contains(token))
            {
                shape.Close(role, chunk);
                role = token == Comma ? string.Empty : token;
                continue;
            }

            if (token == Conjunction)
            {
                chunk.Add(token);
                continue;
            }

            if (token == Negation)
            {
                shape.Negations++;
                chunk.Add(token);
                continue;
            }

            if (s_questionWords.TryGetValue(token, out var question))
            {
                shape.Markers.Add(question);
                continue;
            }

            if (s_modals.TryGetValue(token, out var modal))
            {
                shape.Markers.Add(modal);
                continue;
            }

            if (s_persons.TryGetValue(token, out var person))
            {
                shape.Persons.Add(person);
                chunk.Add(person);
                continue;
            }

            if (token.AsSpan().IndexOfAnyInRange('0', '9') >= 0)
            {
                shape.Numbers.Add(token);
                chunk.Add(token);
                continue;
            }

            if (!s_stopWords.Contains(token))
            {
                chunk.Add(Stem(token));
            }
        }

        shape.Close(role, chunk);
        shape.Numbers.Sort(StringComparer.Ordinal);
        shape.Chunks.Sort(StringComparer.Ordinal);
        return shape;
    }

    /// <summary>
    /// True when both prompts have the same numbers, negations, question words and chunks. A person only one prompt
    /// names is left out of both ("Can you tell me how to reset my router?" = "How do I reset my router?"), provided
    /// the other names no person the first lacks ("Do you owe money?" ≠ "Do I owe money?").
    /// </summary>
    public bool SameAs(PromptShape other)
    {
        if (Negations != other.Negations || !Numbers.SequenceEqual(other.Numbers, StringComparer.Ordinal) || !SameMarkers(other))
        {
            return false;
        }

        if (Persons.SetEquals(other.Persons))
        {
            return Chunks.SequenceEqual(other.Chunks, StringComparer.Ordinal) && Clauses.SequenceEqual(other.Clauses, StringComparer.Ordinal);
        }

        if (!Persons.IsSubsetOf(other.Persons) && !other.Persons.IsSubsetOf(Persons))
        {
            return false;
        }

        var oneSided = new SortedSet<string>(Persons, StringComparer.Ordinal);
        oneSided.SymmetricExceptWith(other.Persons);
        return Without(Chunks, oneSided, sort: true).SequenceEqual(Without(other.Chunks, oneSided, sort: true), StringComparer.Ordinal)
            && Without(Clauses, oneSided, sort: false).SequenceEqual(Without(other.Clauses, oneSided, sort: false), StringComparer.Ordinal);
    }

    /// <summary>The same question words and modals, but "what" may stand on one side only ("Could you tell me the opening hours?" = "What are the opening hours?").</summary>
    private bool SameMarkers(PromptShape other)
    {
        if (Markers.SetEquals(other.Markers))
        {
            return true;
        }

        var difference = new SortedSet<string>(Markers, StringComparer.Ordinal);
        difference.SymmetricExceptWith(other.Markers);
        return difference.Count == 1 && difference.Min == "what";
    }

    private static List<string> Without(List<string> chunks, SortedSet<string> persons, bool sort)
    {
        var kept = new List<string>(chunks.Count);
        foreach (var chunk in chunks)
        {
            var bar = chunk.IndexOf('|', StringComparison.Ordinal);
            var terms = chunk[(bar + 1)..].Split(' ').Where(term => !persons.Contains(term)).ToArray();
            if (terms.Length > 0)
            {
                kept.Add(chunk[..(bar + 1)] + string.Join(' ', terms));
            }
        }

        if (sort)
        {
            kept.Sort(StringComparer.Ordinal);
        }

        return kept;
    }

    private void Close(string role, List<string> chunk)
    {
        // Conjunctions: "A and B" with A and B single terms at the chunk's edges is unordered; elsewhere it only joins.
        if (chunk.Count == 3 && chunk[1] == Conjunction && string.CompareOrdinal(chunk[0], chunk[2]) > 0)
        {
            (chunk[0], chunk[2]) = (chunk[2], chunk[0]);
        }

        chunk.RemoveAll(static term => term == Conjunction);
        if (chunk.Count > 0)
        {
            (role.Length == 0 ? Clauses : Chunks).Add(role + "|" + string.Join(' ', chunk));
        }

        chunk.Clear();
    }

    /// <summary>Lower-case words, numbers (with <c>.</c> and <c>,</c> inside them), <c>c#</c>/<c>c++</c>, negations, possessives and commas.</summary>
    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var lower = text.ToLowerInvariant().Replace('\u2019', '\'');
        var i = 0;
        while (i < lower.Length)
        {
            var c = lower[i];
            if (c is ',' or ';' or ':')
            {
                tokens.Add(Comma);
                i++;
                continue;
            }

            if (!char.IsLetterOrDigit(c))
            {
                i++;
                continue;
            }

            var start = i;
            while (i < lower.Length)
            {
                var d = lower[i];
                if (char.IsLetterOrDigit(d))
                {
                    i++;
                }
                else if ((d is '.' or ',') && char.IsDigit(lower[i - 1]) && i + 1 < lower.Length && char.IsDigit(lower[i + 1]))
                {
                    i++; // 3.5, 10,000
                }
                else if ((d is '#' or '+') && char.IsLetter(lower[i - 1]))
                {
                    i++; // c#, c++, f#
                }
                else if (d == '\'' && i + 1 < lower.Length && char.IsLetter(lower[i + 1]))
                {
                    i++; // don't, company's
                }
                else
                {
                    break;
                }
            }

            AddWord(tokens, lower[start..i]);
        }

        return tokens;
    }

    private static void AddWord(List<string> tokens, string word)
    {
        if (word.EndsWith("n't", StringComparison.Ordinal))
        {
            // can't, won't, doesn't: the verb (wo = will) and a negation.
            var verb = word[..^3];
            if (verb.Length > 0)
            {
                tokens.Add(verb == "ca" ? "can" : verb);
            }

            tokens.Add(Negation);
            return;
        }

        var apostrophe = word.IndexOf('\'', StringComparison.Ordinal);
        if (apostrophe > 0)
        {
            var stem = word[..apostrophe];
            var suffix = word[apostrophe..];
            tokens.Add(stem);
            if (suffix == "'ll")
            {
                tokens.Add("will");
            }
            else if (suffix == Possessive && !s_stopWords.Contains(stem) && !s_questionWords.ContainsKey(stem) && !s_persons.ContainsKey(stem) && stem is not ("that" or "let"))
            {
                tokens.Add(Possessive);
            }

            return;
        }

        tokens.Add(s_negations.Contains(word) ? Negation : s_conjunctions.Contains(word) ? Conjunction : word);
    }

    /// <summary>Phrasal verbs to one word, possessives to <c>of</c>, a leading role phrase before a comma to the end.</summary>
    private static List<string> Rewrite(List<string> tokens)
    {
        var merged = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            if (i + 1 < tokens.Count && s_phrases.TryGetValue(tokens[i] + " " + tokens[i + 1], out var one))
            {
                merged.Add(one);
                i++;
            }
            else
            {
                merged.Add(tokens[i]);
            }
        }

        // "X's A B" reads "A B of X": the owner goes after what it owns, as with "of". The "to" of "how to", "want to"
        // or "is it possible to" introduces a verb, not a role: it goes.
        var rewritten = new List<string>(merged.Count + 2);
        for (var i = 0; i < merged.Count; i++)
        {
            if (merged[i] == "to" && i > 0 && s_beforeInfinitive.Contains(merged[i - 1]))
            {
                continue;
            }

            if ((merged[i] == "me" && i > 0 && merged[i - 1] is "tell" or "show" or "let" or "give")
                || (merged[i] == "you" && i > 0 && merged[i - 1] is "can" or "could" or "would" or "will"))
            {
                continue; // "could you tell me how", "show me": a request's politeness, not a role
            }

            if (i + 1 < merged.Count && merged[i + 1] == Possessive)
            {
                var owner = merged[i];
                var j = i + 2;
                while (j < merged.Count && IsOwnedWord(merged[j]))
                {
                    rewritten.Add(merged[j]);
                    j++;
                }

                rewritten.Add("of");
                rewritten.Add(owner);
                i = j - 1;
            }
            else if (merged[i] != Possessive)
            {
                rewritten.Add(merged[i]);
            }
        }

        return rewritten;
    }

    private static bool IsOwnedWord(string token) =>
        token != Comma && token != Conjunction && token != Negation && token != Possessive && !s_roleWords.Contains(token)
        && !s_questionWords.ContainsKey(token) && !s_modals.ContainsKey(token) && !s_persons.ContainsKey(token) && !s_stopWords.Contains(token);

    private static string Stem(string word)
    {
        foreach (var (british, american) in s_spellings)
        {
            if (word.EndsWith(british, StringComparison.Ordinal))
            {
                word = string.Concat(word.AsSpan(0, word.Length - british.Length), american);
                break;
            }
        }

        foreach (var suffix in s_suffixes)
        {
            if (word.Length > suffix.Length + 3 && word.EndsWith(suffix, StringComparison.Ordinal))
            {
                word = word[..^suffix.Length];
                if (suffix is "ing" or "ed" && word.Length > 3 && word[^1] == word[^2] && word[^1] is not ('l' or 's' or 'z' or 'e' or 'o'))
                {
                    word = word[..^1]; // shipped, shipping: ship
                }

                break;
            }
        }

        // decline, declined, declining: declin.
        return word.Length > 4 && word[^1] == 'e' ? word[..^1] : word;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append('[').AppendJoin("] [", Clauses).Append("] [").AppendJoin("] [", Chunks).Append("] numbers ").AppendJoin(' ', Numbers).Append(" negations ").Append(Negations).Append(" markers ").AppendJoin(' ', Markers);
        return text.ToString();
    }
}
