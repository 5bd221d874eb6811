using System.Buffers;
using System.Text;

namespace Motadata.Cache.Keys;

/// <summary>
/// Redis glob patterns, matched exactly as Redis's <c>stringmatchlen</c> matches them (so the memory backend and
/// <c>SCAN MATCH</c> on Dragonfly agree): <c>*</c> any run, <c>?</c> one byte, <c>[abc]</c>, <c>[a-z]</c>,
/// <c>[^a]</c> classes of one byte, and <c>\</c> to take the next byte literally.
/// </summary>
/// <remarks>
/// Redis knows nothing of characters: it matches the UTF-8 bytes of the pattern against the UTF-8 bytes of the key.
/// So both are compared here as UTF-8 (what StackExchange.Redis sends, lone surrogates included: they become
/// U+FFFD's bytes): <c>caf?</c> does not match <c>café</c> (é is two bytes) but <c>caf??</c> does, and a class
/// or range holds bytes, not characters. Ranges compare bytes as C's signed <c>char</c> (x86-64, where Redis
/// runs), so bytes 0x80..0xFF sort below 0x00..0x7F.
/// </remarks>
internal sealed class GlobPattern
{
    /// <summary>Redis gives up (no match) past this many nested <c>*</c> (its guard against abusive patterns).</summary>
    private const int MaxStarNesting = 1000;

    /// <summary>Keys whose UTF-8 form can exceed this are encoded into a pooled buffer instead of the stack.</summary>
    private const int MaxStackBytes = 1024;

    private readonly Token[] _tokens;

    /// <summary>Four 64-bit words (one bit per byte value) for each class, in token order.</summary>
    private readonly ulong[] _classes;

    /// <summary>
    /// The runs of non-star tokens between stars, in order (one more than there are stars; the first and last may be
    /// empty). See <see cref="MatchBytes{TCounter}"/>.
    /// </summary>
    private readonly Segment[] _segments;

    /// <summary>For each middle segment, its Shift-And table: for each byte value, the words of token positions that accept it.</summary>
    private readonly ulong[]?[] _shiftAndTables;

    /// <summary>True when Redis's nesting guard makes the pattern match nothing (over 1000 stars before its last token).</summary>
    private readonly bool _neverMatches;

    /// <summary>
    /// The leading ASCII literals, as text: UTF-8 starts with these bytes exactly when the text starts with these
    /// characters, so most keys are rejected (or, for <c>prefix*</c>, accepted) without being encoded.
    /// </summary>
    private readonly string _asciiPrefix;

    /// <summary>True when the pattern is <see cref="_asciiPrefix"/> then one final star.</summary>
    private readonly bool _isAsciiPrefixThenStar;


    private GlobPattern(string pattern, Token[] tokens, ulong[] classes, string? exactKey)
    {
        Pattern = pattern;
        _tokens = tokens;
        _classes = classes;
        IsMatchAll = tokens.Length == 1 && tokens[0].Kind == TokenKind.Star;
        ExactKey = exactKey;
        _neverMatches = PassesStarNestingLimit(tokens);
        _segments = SegmentsOf(tokens);
        _shiftAndTables = new ulong[]?[_segments.Length];
        for (var i = 1; i < _segments.Length - 1; i++)
        {
            _shiftAndTables[i] = ShiftAndTable(_segments[i]);
        }
        var prefixLength = 0;
        while (prefixLength < tokens.Length && tokens[prefixLength].Kind == TokenKind.Literal && tokens[prefixLength].Literal < 0x80)
        {
            prefixLength++;
        }

        var prefix = new char[prefixLength];
        for (var i = 0; i < prefixLength; i++)
        {
            prefix[i] = (char)tokens[i].Literal;
        }

        _asciiPrefix = new string(prefix);
        var literals = 0;
        while (literals < tokens.Length && tokens[literals].Kind == TokenKind.Literal)
        {
            literals++;
        }

        IsPrefixThenStar = literals == tokens.Length - 1 && tokens[^1].Kind == TokenKind.Star;
        _isAsciiPrefixThenStar = IsPrefixThenStar && prefixLength == literals;
    }

    /// <summary>The pattern as the caller wrote it.</summary>
    public string Pattern { get; }

    /// <summary>True when the pattern is literal bytes then one final star (<c>user_*</c>): a prefix test.</summary>
    public bool IsPrefixThenStar { get; }

    /// <summary>True for <c>*</c> (and <c>**</c>...): every key matches.</summary>
    public bool IsMatchAll { get; }

    /// <summary>
    /// The one key this pattern can match when it has no wildcard at all, else null (also null when it holds U+FFFD
    /// or a lone surrogate, which several keys encode to, so the general byte match must decide).
    /// </summary>
    public string? ExactKey { get; }

    /// <summary>Compiles a pattern. The caller has checked it is neither null nor empty.</summary>
    public static GlobPattern Parse(string pattern)
    {
        // Encoded as StackExchange.Redis encodes it for SCAN MATCH, and parsed byte by byte as stringmatchlen does.
        var bytes = Encoding.UTF8.GetBytes(pattern);
        var tokens = new List<Token>(bytes.Length);
        var classes = new List<ulong>();
        var i = 0;
        while (i < bytes.Length)
        {
            switch (bytes[i])
            {
                case (byte)'*':
                    // Consecutive stars are one star.
                    while (i + 1 < bytes.Length && bytes[i + 1] == '*')
                    {
                        i++;
                    }

                    tokens.Add(new Token(TokenKind.Star, 0, 0));
                    i++;
                    break;
                case (byte)'?':
                    tokens.Add(new Token(TokenKind.AnyOne, 0, 0));
                    i++;
                    break;
                case (byte)'[':
                    tokens.Add(new Token(TokenKind.Class, 0, classes.Count));
                    i = ParseClass(bytes, i + 1, classes);
                    break;
                case (byte)'\\' when i + 1 < bytes.Length:
                    tokens.Add(new Token(TokenKind.Literal, bytes[i + 1], 0));
                    i += 2;
                    break;
                default:
                    // A trailing lone backslash is a literal backslash, as in Redis.
                    tokens.Add(new Token(TokenKind.Literal, bytes[i], 0));
                    i++;
                    break;
            }
        }

        var tokenArray = tokens.ToArray();
        return new GlobPattern(pattern, tokenArray, classes.ToArray(), ExactKeyOf(tokenArray));
    }

    /// <summary>
    /// Escapes every glob metacharacter of <paramref name="text"/> with a backslash, so that it matches only itself
    /// inside a larger pattern (used for the tenant part of <c>SCAN MATCH</c> patterns).
    /// </summary>
    /// <remarks>The metacharacters are all ASCII, and no byte of a multi-byte UTF-8 sequence is ASCII, so escaping
    /// characters escapes exactly the bytes Redis reads as syntax.</remarks>
    public static string Escape(string text)
    {
        if (text.AsSpan().IndexOfAny("*?[]\\") < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    /// <summary>True when the UTF-8 encoding of <paramref name="text"/> matches the whole pattern.</summary>
    public bool IsMatch(ReadOnlySpan<char> text)
    {
        if (IsMatchAll)
        {
            return true;
        }

        if (ExactKey is not null)
        {
            // Equal UTF-8 bytes means equal text: the exact key is well-formed, so it has only one encoding.
            return text.SequenceEqual(ExactKey);
        }

        if (!text.StartsWith(_asciiPrefix.AsSpan()))
        {
            return false;
        }

        if (_isAsciiPrefixThenStar)
        {
            return true;
        }

        // Only what follows the prefix is encoded and matched, from the first token after it.
        var rest = text[_asciiPrefix.Length..];
        var maxBytes = Encoding.UTF8.GetMaxByteCount(rest.Length);
        if (maxBytes <= MaxStackBytes)
        {
            Span<byte> buffer = stackalloc byte[maxBytes];
            var length = Encoding.UTF8.GetBytes(rest, buffer);
            return MatchBytes(buffer[..length], _asciiPrefix.Length);
        }

        var rented = ArrayPool<byte>.Shared.Rent(maxBytes);
        try
        {
            var length = Encoding.UTF8.GetBytes(rest, rented);
            return MatchBytes(rented.AsSpan(0, length), _asciiPrefix.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>True when the UTF-8 bytes <paramref name="utf8"/> match the whole pattern, as Redis decides.</summary>
    public bool IsMatch(ReadOnlySpan<byte> utf8) => IsMatchAll || MatchBytes(utf8, 0);

    /// <summary>As <see cref="IsMatch(ReadOnlySpan{byte})"/>, adding the work done to <paramref name="steps"/> (tests and benchmarks).</summary>
    internal bool IsMatch(ReadOnlySpan<byte> utf8, ref StepCounter steps) => IsMatchAll || MatchBytes(utf8, 0, ref steps);

    /// <summary>
    /// The pattern's leading literal bytes (up to its first wildcard), re-escaped, then <c>*</c>: a glob that every
    /// key matching this pattern matches, and that costs Redis only a prefix comparison per key. The Dragonfly
    /// backend sends this to <c>SCAN MATCH</c> and matches the rest of the pattern itself, in linear time.
    /// </summary>
    public byte[] ServerPrefixPattern()
    {
        var buffer = new List<byte>(_tokens.Length + 1);
        foreach (var token in _tokens)
        {
            if (token.Kind != TokenKind.Literal)
            {
                break;
            }

            if (token.Literal is (byte)'*' or (byte)'?' or (byte)'[' or (byte)']' or (byte)'\\')
            {
                buffer.Add((byte)'\\');
            }

            buffer.Add(token.Literal);
        }

        buffer.Add((byte)'*');
        return [.. buffer];
    }

    public override string ToString() => Pattern;

    private bool MatchBytes(ReadOnlySpan<byte> text, int firstToken)
    {
        var noCount = default(NoStepCounter);
        return MatchBytes(text, firstToken, ref noCount);
    }

    /// <summary>
    /// Matches <paramref name="text"/> against the tokens from <paramref name="firstToken"/> on, in time linear in the
    /// text: the pattern is <c>S0*S1*...*Sk</c> where each segment <c>Si</c> takes exactly one byte per token, so
    /// <c>S0</c> is anchored at the start, <c>Sk</c> at the end, and each middle segment is taken at its leftmost
    /// occurrence after the previous one (any match can be shifted to that one). Each byte of the text is read by
    /// at most one segment search, which costs one step per 64 tokens of the segment (bit-parallel Shift-And).
    /// Redis's own matcher backtracks and costs pattern length x key length; the answers are the same.
    /// </summary>
    internal bool MatchBytes<TCounter>(ReadOnlySpan<byte> text, int firstToken, ref TCounter steps)
        where TCounter : struct, IStepCounter
    {
        if (_neverMatches)
        {
            return false;
        }

        // The skipped ASCII prefix (firstToken tokens) is all literals, so it lies inside the first segment.
        var segments = _segments;
        var firstLength = segments[0].Length - firstToken;
        if (segments.Length == 1)
        {
            steps.Add(firstLength);
            return text.Length == firstLength && MatchesAt(text, firstToken, firstLength);
        }

        var last = segments[^1];
        var lastLength = last.Length;
        if (text.Length < firstLength + lastLength)
        {
            return false;
        }

        steps.Add(firstLength + lastLength);
        if (!MatchesAt(text, firstToken, firstLength) || !MatchesAt(text[(text.Length - lastLength)..], last.Start, lastLength))
        {
            return false;
        }

        var position = firstLength;
        var end = text.Length - lastLength;
        for (var segment = 1; segment < segments.Length - 1; segment++)
        {
            var found = IndexOfSegment(text[position..end], segment, ref steps);
            if (found < 0)
            {
                return false;
            }

            position += found + segments[segment].Length;
        }

        return true;
    }

    /// <summary>True when the <paramref name="length"/> tokens from <paramref name="firstToken"/> match the first bytes of <paramref name="text"/>.</summary>
    private bool MatchesAt(ReadOnlySpan<byte> text, int firstToken, int length)
    {
        var tokens = _tokens;
        for (var i = 0; i < length; i++)
        {
            if (!Matches(tokens[firstToken + i], text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Where the leftmost occurrence of middle segment <paramref name="segment"/> starts in <paramref name="text"/>, or -1.</summary>
    private int IndexOfSegment<TCounter>(ReadOnlySpan<byte> text, int segment, ref TCounter steps)
        where TCounter : struct, IStepCounter
    {
        var length = _segments[segment].Length;
        if (length > text.Length)
        {
            return -1;
        }

        // Shift-And: bit j of the state is set when the segment's first j + 1 tokens match the text ending here.
        var table = _shiftAndTables![segment]!;
        var words = (length + 63) >> 6;
        var finalWord = (length - 1) >> 6;
        var finalBit = 1UL << ((length - 1) & 63);
        if (words == 1)
        {
            ulong state = 0;
            for (var i = 0; i < text.Length; i++)
            {
                state = ((state << 1) | 1UL) & table[text[i]];
                if ((state & finalBit) != 0)
                {
                    steps.Add(i + 1);
                    return i + 1 - length;
                }
            }

            steps.Add(text.Length);
            return -1;
        }

        Span<ulong> states = words <= 64 ? stackalloc ulong[words] : new ulong[words];
        states.Clear();
        for (var i = 0; i < text.Length; i++)
        {
            var row = text[i] * words;
            var carry = 1UL;
            for (var w = 0; w < words; w++)
            {
                var word = states[w];
                states[w] = ((word << 1) | carry) & table[row + w];
                carry = word >> 63;
            }

            if ((states[finalWord] & finalBit) != 0)
            {
                steps.Add((i + 1) * words);
                return i + 1 - length;
            }
        }

        steps.Add(text.Length * words);
        return -1;
    }

    private bool Matches(Token token, byte b) => token.Kind switch
    {
        TokenKind.Literal => b == token.Literal,
        TokenKind.AnyOne => true,
        _ => (_classes[token.ClassOffset + (b >> 6)] & (1UL << (b & 63))) != 0,
    };

    private static int ParseClass(byte[] pattern, int i, List<ulong> classes)
    {
        // Mirrors Redis: '^' negates, '\' escapes, 'a-z' ranges (reversed ranges are swapped), a class left open
        // runs to the end of the pattern. The class is compiled to the set of the 256 byte values it accepts.
        var negate = false;
        if (i < pattern.Length && pattern[i] == '^')
        {
            negate = true;
            i++;
        }

        Span<ulong> set = stackalloc ulong[4];
        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                Add(set, pattern[i + 1]);
                i += 2;
            }
            else if (c == ']')
            {
                i++;
                break;
            }
            else if (i + 2 < pattern.Length && pattern[i + 1] == '-')
            {
                // Redis compares (signed) chars here, so 0x80..0xFF come before 0x00..0x7F.
                var low = (sbyte)c;
                var high = (sbyte)pattern[i + 2];
                if (low > high)
                {
                    (low, high) = (high, low);
                }

                for (var b = (int)low; b <= high; b++)
                {
                    Add(set, (byte)(sbyte)b);
                }

                i += 3;
            }
            else
            {
                Add(set, c);
                i++;
            }
        }

        foreach (var word in set)
        {
            classes.Add(negate ? ~word : word);
        }

        return i;

        static void Add(Span<ulong> set, byte b) => set[b >> 6] |= 1UL << (b & 63);
    }

    private static string? ExactKeyOf(Token[] tokens)
    {
        if (!Array.TrueForAll(tokens, static t => t.Kind == TokenKind.Literal))
        {
            return null;
        }

        var bytes = new byte[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            bytes[i] = tokens[i].Literal;
        }

        // Escapes only drop ASCII backslashes, so the bytes are the UTF-8 of a string. U+FFFD is also what a lone
        // surrogate encodes to, so a key holding either would match: such patterns take the general path instead.
        var key = Encoding.UTF8.GetString(bytes);
        return key.Contains('\uFFFD', StringComparison.Ordinal) ? null : key;
    }

    private static bool PassesStarNestingLimit(Token[] tokens)
    {
        // stringmatchlen recurses once per star and answers "no match" below 1000 levels; the last token being a
        // star matches the rest without recursing, so only a star with something after it can trip the guard. Every
        // match must pass through that star with text left (a non-star token follows it), so none can succeed.
        var stars = 0;
        for (var i = 0; i < tokens.Length - 1; i++)
        {
            if (tokens[i].Kind == TokenKind.Star && ++stars > MaxStarNesting)
            {
                return true;
            }
        }

        return false;
    }

    private static Segment[] SegmentsOf(Token[] tokens)
    {
        var segments = new List<Segment>();
        var start = 0;
        for (var i = 0; i < tokens.Length; i++)
        {
            if (tokens[i].Kind == TokenKind.Star)
            {
                segments.Add(new Segment(start, i - start));
                start = i + 1;
            }
        }

        segments.Add(new Segment(start, tokens.Length - start));
        return [.. segments];
    }

    private ulong[] ShiftAndTable(Segment segment)
    {
        var words = (segment.Length + 63) >> 6;
        var table = new ulong[256 * words];
        for (var j = 0; j < segment.Length; j++)
        {
            var token = _tokens[segment.Start + j];
            for (var b = 0; b < 256; b++)
            {
                if (Matches(token, (byte)b))
                {
                    table[(b * words) + (j >> 6)] |= 1UL << (j & 63);
                }
            }
        }

        return table;
    }

    private enum TokenKind : byte
    {
        Literal,
        AnyOne,
        Star,
        Class,
    }

    /// <summary>Counts the work a match does (bytes read, times words of state), so tests can bound it without timing.</summary>
    internal interface IStepCounter
    {
        void Add(long steps);
    }

    /// <summary>What production matching uses: the JIT compiles the counting away.</summary>
    internal struct NoStepCounter : IStepCounter
    {
        public readonly void Add(long steps)
        {
        }
    }

    /// <summary>A counter that keeps the total, for tests and benchmarks.</summary>
    internal struct StepCounter : IStepCounter
    {
        public long Steps { get; private set; }

        public void Add(long steps) => Steps += steps;
    }

    /// <summary>One step of the pattern: a literal byte, any byte, a star, or a class (its words at ClassOffset).</summary>
    private readonly record struct Token(TokenKind Kind, byte Literal, int ClassOffset);

    /// <summary>A run of <paramref name="Length"/> non-star tokens from token <paramref name="Start"/>.</summary>
    private readonly record struct Segment(int Start, int Length);
}
