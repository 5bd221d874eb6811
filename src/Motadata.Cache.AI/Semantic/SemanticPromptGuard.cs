using System.Collections.Frozen;

namespace Motadata.Cache.AI;

/// <summary>
/// Checks on two prompts' words that a sentence embedding cannot be trusted with: numbers, negation and swapped
/// content words. The default <see cref="SemanticCacheOptions.PromptGuard"/>.
/// </summary>
public static class SemanticPromptGuard
{
    // Function words and fillers that do not change what is asked (English).
    private static readonly FrozenSet<string> s_stopWords = FrozenSet.ToFrozenSet(
        "a an the is are was were be been being am do does did can could would should will shall may might must i me my mine you your yours we our us it its this that these those there here of to in on at for from by with about into over under as and or but if then so than too very just please what which who whom whose when where why how much many any some all each every have has had get got let make right now exactly usually kindly tell".Split(' '),
        StringComparer.Ordinal);

    private static readonly FrozenSet<string> s_negations = FrozenSet.ToFrozenSet(
        "not no never without cannot nor none nothing nobody neither".Split(' '), StringComparer.Ordinal);

    /// <summary>
    /// True when the prompts ask with the same key terms: the same numbers (any word with a digit, in any order), the
    /// same count of negations (<c>not</c>, <c>n't</c>, <c>never</c>, <c>without</c>...), and no content word swapped
    /// for another (words added on one side only are allowed: "usually", "today"). Case, punctuation, possessive
    /// <c>'s</c>, British/American <c>-ise</c>/<c>-ize</c> and plain suffixes (<c>-s</c>, <c>-ed</c>, <c>-ing</c>, <c>-ly</c>) are ignored. English stop words.
    /// </summary>
    /// <param name="cachedPrompt">The prompt of the cached answer.</param>
    /// <param name="prompt">The new prompt.</param>
    /// <returns>True when the match may be served.</returns>
    public static bool KeyTermsMatch(string cachedPrompt, string prompt)
    {
        ArgumentNullException.ThrowIfNull(cachedPrompt);
        ArgumentNullException.ThrowIfNull(prompt);
        var a = Terms.Of(cachedPrompt);
        var b = Terms.Of(prompt);
        if (a.Negations != b.Negations || !a.Numbers.SequenceEqual(b.Numbers, StringComparer.Ordinal))
        {
            return false;
        }

        // A word on each side that the other lacks is a substitution ("Monday"/"Friday", "poem"/"story").
        return a.Content.IsSubsetOf(b.Content) || b.Content.IsSubsetOf(a.Content);
    }

    private sealed class Terms
    {
        public List<string> Numbers { get; } = [];

        public HashSet<string> Content { get; } = new(StringComparer.Ordinal);

        public int Negations { get; private set; }

        public static Terms Of(string text)
        {
            var terms = new Terms();
            var lower = text.ToLowerInvariant().Replace('\u2019', '\'');
            var i = 0;
            while (i < lower.Length)
            {
                if (!char.IsLetterOrDigit(lower[i]))
                {
                    i++;
                    continue;
                }

                var start = i;
                while (i < lower.Length && (char.IsLetterOrDigit(lower[i]) || (lower[i] == '\'' && i + 1 < lower.Length && char.IsLetter(lower[i + 1]))))
                {
                    i++;
                }

                terms.Add(lower[start..i]);
            }

            terms.Numbers.Sort(StringComparer.Ordinal);
            return terms;
        }

        private void Add(string word)
        {
            if (word.EndsWith("n't", StringComparison.Ordinal))
            {
                Negations++;
                word = word[..^3];
            }

            var apostrophe = word.IndexOf('\'', StringComparison.Ordinal);
            if (apostrophe >= 0)
            {
                // what's, company's, we're: keep the word before the apostrophe.
                word = word[..apostrophe];
            }

            if (word.Length == 0)
            {
                return;
            }

            if (word.AsSpan().IndexOfAnyInRange('0', '9') >= 0)
            {
                Numbers.Add(word);
                return;
            }

            if (s_negations.Contains(word))
            {
                Negations++;
                return;
            }

            if (!s_stopWords.Contains(word))
            {
                Content.Add(Stem(word));
            }
        }

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
                    return word[..^suffix.Length];
                }
            }

            return word;
        }

        private static readonly (string British, string American)[] s_spellings = [("ise", "ize"), ("ised", "ized"), ("ises", "izes"), ("ising", "izing")];

        private static readonly string[] s_suffixes = ["ing", "ed", "es", "s", "ly"];
    }
}
