using System.Text;
using Motadata.Cache.Keys;

namespace Motadata.Cache.Tests.Keys;

/// <summary>
/// The matcher's cost is linear in the key: a pattern of wildcard-free runs separated by stars reads each byte of the
/// key once per 64 tokens of the run it is searching for, never pattern length x key length as Redis's own
/// backtracking matcher does. Work is counted (steps), not timed. Its answers are checked against a plain
/// dynamic-programming matcher on random patterns with long runs, so the bit-parallel search is right past 64 tokens.
/// </summary>
public sealed class GlobPatternCostTests
{
    private const int KeyLength = 1000;

    public static TheoryData<string> AdversarialPatterns() =>
    [
        "*" + new string('a', 1022) + "b",                                  // the pattern from the report
        "*" + new string('a', 500) + "b*",
        "*" + new string('a', 63) + "b*" + new string('a', 63) + "c*",
        "*" + string.Concat(Enumerable.Repeat("a*", 300)) + "b",
        "*" + string.Concat(Enumerable.Repeat("?", 700)) + "b*",
        "*[a]" + string.Concat(Enumerable.Repeat("[ab]", 200)) + "c*d",
        new string('a', 10) + "*" + new string('a', 200) + "b*" + new string('a', 10),
    ];

    [Theory]
    [MemberData(nameof(AdversarialPatterns))]
    public void WhenAPatternIsBuiltToBacktrackMatchingCostsAtMostTheKeyLengthTimesItsLongestRunIn64s(string pattern)
    {
        var glob = GlobPattern.Parse(pattern);
        var longestRun = pattern.Split('*').Max(run => run.Length);
        var wordsPerByte = (longestRun + 63) / 64;
        var keys = new[] { new string('a', KeyLength), new string('a', KeyLength - 1) + "b", new string('a', KeyLength / 2) + "b" + new string('a', KeyLength / 2) };
        foreach (var key in keys)
        {
            var steps = new GlobPattern.StepCounter();
            var matched = glob.IsMatch(Encoding.UTF8.GetBytes(key), ref steps);

            Assert.Equal(ReferenceMatch(pattern, key), matched);
            var bound = ((long)key.Length * wordsPerByte) + pattern.Length;
            Assert.True(steps.Steps <= bound, $"{steps.Steps} steps for a {key.Length}-byte key and pattern of {pattern.Length}; bound {bound}");
        }
    }

    [Fact]
    public void WhenTheReportedPatternRunsOverTwoThousandLongKeysTheWorkStaysLinear()
    {
        // 2,000 keys of about 1,000 characters and "*" + 1022 x "a" + "b": Redis's matcher does about 2 x 10^9 steps.
        var glob = GlobPattern.Parse("*" + new string('a', 1022) + "b");
        var steps = new GlobPattern.StepCounter();
        long bytes = 0;
        for (var i = 0; i < 2_000; i++)
        {
            var key = Encoding.UTF8.GetBytes(new string('a', 990) + i.ToString("D10", System.Globalization.CultureInfo.InvariantCulture));
            bytes += key.Length;
            Assert.False(glob.IsMatch(key, ref steps));
        }

        Assert.True(steps.Steps <= bytes, $"{steps.Steps} steps for {bytes} key bytes");
    }

    [Fact]
    public void WhenRandomPatternsWithLongRunsAreMatchedTheyAgreeWithAPlainMatcher()
    {
        var random = new Random(20261201);
        for (var round = 0; round < 3_000; round++)
        {
            var pattern = RandomPattern(random);
            var glob = GlobPattern.Parse(pattern);
            for (var k = 0; k < 4; k++)
            {
                var text = RandomText(random, pattern);
                Assert.True(ReferenceMatch(pattern, text) == glob.IsMatch(text), $"pattern '{pattern}' text '{text}'");
            }
        }
    }

    /// <summary>Patterns of a, b, ?, [ab], [^a] and stars, with runs from 0 to 150 tokens (past one 64-bit word).</summary>
    private static string RandomPattern(Random random)
    {
        var builder = new StringBuilder();
        var runs = random.Next(1, 5);
        for (var r = 0; r < runs; r++)
        {
            if (r > 0 || random.Next(2) == 0)
            {
                builder.Append('*');
            }

            var length = random.Next(3) == 0 ? random.Next(60, 151) : random.Next(0, 6);
            for (var i = 0; i < length; i++)
            {
                builder.Append(random.Next(20) switch
                {
                    0 => "?",
                    1 => "[ab]",
                    2 => "[^a]",
                    < 12 => "a",
                    _ => "b",
                });
            }
        }

        if (random.Next(2) == 0)
        {
            builder.Append('*');
        }

        return builder.ToString();
    }

    /// <summary>Mostly a's with a few b's, sometimes built from the pattern itself so that matches are common.</summary>
    private static string RandomText(Random random, string pattern)
    {
        if (random.Next(2) == 0)
        {
            var builder = new StringBuilder();
            foreach (var c in pattern.Replace("[ab]", "?", StringComparison.Ordinal).Replace("[^a]", "b", StringComparison.Ordinal))
            {
                builder.Append(c switch
                {
                    '*' => new string(random.Next(2) == 0 ? 'a' : 'b', random.Next(0, 4)),
                    '?' => random.Next(2) == 0 ? "a" : "b",
                    _ => c.ToString(),
                });
            }

            return builder.ToString();
        }

        var length = random.Next(0, 400);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = random.Next(8) == 0 ? 'b' : 'a';
        }

        return new string(chars);
    }

    /// <summary>Textbook glob matching by dynamic programming over (pattern token, text position), for a, b, ?, *, [ab], [^a].</summary>
    private static bool ReferenceMatch(string pattern, string text)
    {
        var tokens = new List<string>();
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '[')
            {
                var close = pattern.IndexOf(']', i);
                tokens.Add(pattern[i..(close + 1)]);
                i = close;
            }
            else
            {
                tokens.Add(pattern[i].ToString());
            }
        }

        // reachable[j]: the tokens so far can consume exactly the first j characters.
        var reachable = new bool[text.Length + 1];
        reachable[0] = true;
        foreach (var token in tokens)
        {
            var next = new bool[text.Length + 1];
            if (token == "*")
            {
                var any = false;
                for (var j = 0; j <= text.Length; j++)
                {
                    any |= reachable[j];
                    next[j] = any;
                }
            }
            else
            {
                for (var j = 0; j < text.Length; j++)
                {
                    next[j + 1] = reachable[j] && Accepts(token, text[j]);
                }
            }

            reachable = next;
        }

        return reachable[text.Length];

        static bool Accepts(string token, char c) => token switch
        {
            "?" => true,
            "[ab]" => c is 'a' or 'b',
            "[^a]" => c != 'a',
            _ => token[0] == c,
        };
    }
}
