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

    /// <summary>Index of the first star Redis's nesting guard fails at, or past the end when there is none.</summary>
    private readonly int _unreachableStar;

    /// <summary>
    /// The leading ASCII literals, as text: UTF-8 starts with these bytes exactly when the text starts with these
    /// characters, so most keys are rejected (or, for <c>prefix*</c>, accepted) without being encoded.
    /// </summary>
    private readonly string _asciiPrefix;

    /// <summary>True when the pattern is <see cref="_asciiPrefix"/> then one final star.</summary>
    private readonly bool _isPrefixThenStar;

    private GlobPattern(string pattern, Token[] tokens, ulong[] classes, string? exactKey)
    {
        Pattern = pattern;
        _tokens = tokens;
        _classes = classes;
        IsMatchAll = tokens.Length == 1 && tokens[0].Kind == TokenKind.Star;
        ExactKey = exactKey;
        _unreachableStar = UnreachableStar(tokens);
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
        _isPrefixThenStar = prefixLength == tokens.Length - 1 && tokens[^1].Kind == TokenKind.Star;
    }

    /// <summary>The pattern as the caller wrote it.</summary>
    public string Pattern { get; }

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

        if (_isPrefixThenStar)
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

    public override string ToString() => Pattern;

    private bool MatchBytes(ReadOnlySpan<byte> text, int firstToken)
    {
        // Every token but the star matches exactly one byte, so backtracking to the last star only is complete
        // (the same argument that lets Redis stop early with skipLongerMatches).
        var tokens = _tokens;
        int t = firstToken, s = 0, starToken = -1, starText = 0;
        while (s < text.Length)
        {
            if (t < tokens.Length)
            {
                var token = tokens[t];
                if (token.Kind == TokenKind.Star)
                {
                    if (t == tokens.Length - 1)
                    {
                        return true;
                    }

                    if (t == _unreachableStar)
                    {
                        return false;
                    }

                    starToken = t++;
                    starText = s;
                    continue;
                }

                if (Matches(token, text[s]))
                {
                    t++;
                    s++;
                    continue;
                }
            }

            if (starToken < 0)
            {
                return false;
            }

            t = starToken + 1;
            s = ++starText;
        }

        while (t < tokens.Length && tokens[t].Kind == TokenKind.Star)
        {
            t++;
        }

        return t == tokens.Length;
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

    private static int UnreachableStar(Token[] tokens)
    {
        // stringmatchlen recurses once per star and answers "no match" below 1000 levels; the last token being a
        // star matches the rest without recursing, so only a star with something after it can trip the guard.
        var stars = 0;
        for (var i = 0; i < tokens.Length - 1; i++)
        {
            if (tokens[i].Kind == TokenKind.Star && ++stars > MaxStarNesting)
            {
                return i;
            }
        }

        return int.MaxValue;
    }

    private enum TokenKind : byte
    {
        Literal,
        AnyOne,
        Star,
        Class,
    }

    /// <summary>One step of the pattern: a literal byte, any byte, a star, or a class (its words at ClassOffset).</summary>
    private readonly record struct Token(TokenKind Kind, byte Literal, int ClassOffset);
}
