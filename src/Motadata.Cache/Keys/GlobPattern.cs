using System.Text;

namespace Motadata.Cache.Keys;

/// <summary>
/// Redis glob patterns, matched exactly as Redis's <c>stringmatchlen</c> matches them (so the memory backend and
/// <c>SCAN MATCH</c> on Dragonfly agree): <c>*</c> any run, <c>?</c> one character, <c>[abc]</c>, <c>[a-z]</c>,
/// <c>[^a]</c> classes, and <c>\</c> to take the next character literally.
/// </summary>
internal sealed class GlobPattern
{
    private readonly Token[] _tokens;

    private GlobPattern(string pattern, Token[] tokens)
    {
        Pattern = pattern;
        _tokens = tokens;
        IsMatchAll = tokens.Length == 1 && tokens[0].Kind == TokenKind.Star;
        if (Array.TrueForAll(tokens, static t => t.Kind == TokenKind.Literal))
        {
            var literal = new StringBuilder(tokens.Length);
            foreach (var token in tokens)
            {
                literal.Append(token.Literal);
            }

            ExactKey = literal.ToString();
        }
    }

    /// <summary>The pattern as the caller wrote it.</summary>
    public string Pattern { get; }

    /// <summary>True for <c>*</c> (and <c>**</c>...): every key matches.</summary>
    public bool IsMatchAll { get; }

    /// <summary>The one key this pattern can match when it has no wildcard at all, else null.</summary>
    public string? ExactKey { get; }

    /// <summary>Compiles a pattern. The caller has checked it is neither null nor empty.</summary>
    public static GlobPattern Parse(string pattern)
    {
        var tokens = new List<Token>(pattern.Length);
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    // Consecutive stars are one star.
                    while (i + 1 < pattern.Length && pattern[i + 1] == '*')
                    {
                        i++;
                    }

                    tokens.Add(new Token(TokenKind.Star, default, null, false));
                    i++;
                    break;
                case '?':
                    tokens.Add(new Token(TokenKind.AnyOne, default, null, false));
                    i++;
                    break;
                case '[':
                    i = ParseClass(pattern, i + 1, tokens);
                    break;
                case '\\' when i + 1 < pattern.Length:
                    tokens.Add(new Token(TokenKind.Literal, pattern[i + 1], null, false));
                    i += 2;
                    break;
                default:
                    // A trailing lone backslash is a literal backslash, as in Redis.
                    tokens.Add(new Token(TokenKind.Literal, c, null, false));
                    i++;
                    break;
            }
        }

        return new GlobPattern(pattern, tokens.ToArray());
    }

    /// <summary>
    /// Escapes every glob metacharacter of <paramref name="text"/> with a backslash, so that it matches only itself
    /// inside a larger pattern (used for the tenant part of <c>SCAN MATCH</c> patterns).
    /// </summary>
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

    /// <summary>True when <paramref name="text"/> matches the whole pattern.</summary>
    public bool IsMatch(ReadOnlySpan<char> text)
    {
        if (IsMatchAll)
        {
            return true;
        }

        if (ExactKey is not null)
        {
            return text.SequenceEqual(ExactKey);
        }

        // Every token but the star matches exactly one character, so backtracking to the last star is complete.
        var tokens = _tokens;
        int t = 0, s = 0, starToken = -1, starText = 0;
        while (s < text.Length)
        {
            if (t < tokens.Length && tokens[t].Kind != TokenKind.Star && tokens[t].Matches(text[s]))
            {
                t++;
                s++;
            }
            else if (t < tokens.Length && tokens[t].Kind == TokenKind.Star)
            {
                starToken = t++;
                starText = s;
            }
            else if (starToken >= 0)
            {
                t = starToken + 1;
                s = ++starText;
            }
            else
            {
                return false;
            }
        }

        while (t < tokens.Length && tokens[t].Kind == TokenKind.Star)
        {
            t++;
        }

        return t == tokens.Length;
    }

    public override string ToString() => Pattern;

    private static int ParseClass(string pattern, int i, List<Token> tokens)
    {
        // Mirrors Redis: '^' negates, '\' escapes, 'a-z' ranges (reversed ranges are swapped), a class left open
        // runs to the end of the pattern.
        var negate = false;
        if (i < pattern.Length && pattern[i] == '^')
        {
            negate = true;
            i++;
        }

        var items = new List<(char Low, char High)>();
        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                items.Add((pattern[i + 1], pattern[i + 1]));
                i += 2;
            }
            else if (c == ']')
            {
                i++;
                break;
            }
            else if (i + 2 < pattern.Length && pattern[i + 1] == '-')
            {
                var low = c;
                var high = pattern[i + 2];
                if (low > high)
                {
                    (low, high) = (high, low);
                }

                items.Add((low, high));
                i += 3;
            }
            else
            {
                items.Add((c, c));
                i++;
            }
        }

        tokens.Add(new Token(TokenKind.Class, default, items.ToArray(), negate));
        return i;
    }

    private enum TokenKind : byte
    {
        Literal,
        AnyOne,
        Star,
        Class,
    }

    private readonly record struct Token(TokenKind Kind, char Literal, (char Low, char High)[]? Ranges, bool Negate)
    {
        public bool Matches(char c)
        {
            switch (Kind)
            {
                case TokenKind.Literal:
                    return c == Literal;
                case TokenKind.AnyOne:
                    return true;
                case TokenKind.Class:
                    var found = false;
                    foreach (var (low, high) in Ranges!)
                    {
                        if (c >= low && c <= high)
                        {
                            found = true;
                            break;
                        }
                    }

                    return found != Negate;
                default:
                    return false;
            }
        }
    }
}
