using Motadata.Cache.Keys;
using Motadata.Cache.Tests.Infrastructure;
using StackExchange.Redis;

namespace Motadata.Cache.Tests.Keys;

/// <summary>
/// Redis glob semantics, by table and by difference against a real <c>redis-server</c>: whatever
/// <c>SCAN MATCH</c> returns for a pattern, <see cref="GlobPattern.IsMatch"/> must agree key for key.
/// </summary>
public sealed class GlobPatternTests : IAsyncLifetime
{
    // Letters plus every character glob syntax gives a meaning to, so random patterns and keys collide with it often.
    private const string Alphabet = "abcx-^]\\[*?Z0";
    private RedisServer? _server;
    private ConnectionMultiplexer? _connection;

    public async Task InitializeAsync()
    {
        _server = await RedisServer.StartAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(_server.EndPoint + ",allowAdmin=true");
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("*", "", true)]
    [InlineData("*", "anything", true)]
    [InlineData("***", "x", true)]
    [InlineData("a*", "a", true)]
    [InlineData("a*", "ba", false)]
    [InlineData("*a", "bba", true)]
    [InlineData("*a*b", "xaxxb", true)]
    [InlineData("*a*b", "xaxxbc", false)]
    [InlineData("a*b*c", "abbbc", true)]
    [InlineData("a*b*c", "acb", false)]
    [InlineData("?", "x", true)]
    [InlineData("?", "", false)]
    [InlineData("?", "xy", false)]
    [InlineData("??", "xy", true)]
    [InlineData("h?llo", "hallo", true)]
    [InlineData("h?llo", "hllo", false)]
    [InlineData("h[ae]llo", "hello", true)]
    [InlineData("h[ae]llo", "hillo", false)]
    [InlineData("h[^e]llo", "hallo", true)]
    [InlineData("h[^e]llo", "hello", false)]
    [InlineData("h[a-b]llo", "hbllo", true)]
    [InlineData("h[a-b]llo", "hcllo", false)]
    [InlineData("h[b-a]llo", "hallo", true)]
    [InlineData("[a-c-e]", "-", true)]
    [InlineData("[a-c-e]", "d", false)]
    [InlineData("[a-c-e]", "e", true)]
    [InlineData("[-a]", "-", true)]
    [InlineData("[a-]", "-", false)]
    [InlineData("[a-]", "a", true)]
    [InlineData("[]", "]", false)]
    [InlineData("[]]", "]", false)]
    [InlineData("[]]", "]]", false)]
    [InlineData("[^]", "x", true)]
    [InlineData("[\\]]", "]", true)]
    [InlineData("[\\^]", "^", true)]
    [InlineData("[\\-]", "-", true)]
    [InlineData("[\\-]", "a", false)]
    [InlineData("[abc", "b", true)]
    [InlineData("[abc", "bc", false)]
    [InlineData("ab[", "ab", false)]
    [InlineData("ab[", "ab[", false)]
    [InlineData("\\*", "*", true)]
    [InlineData("\\*", "x", false)]
    [InlineData("\\?", "?", true)]
    [InlineData("\\[a]", "[a]", true)]
    [InlineData("\\a", "a", true)]
    [InlineData("a\\", "a\\", true)]
    [InlineData("a\\\\", "a\\", true)]
    [InlineData("a[\\", "a\\", true)]
    [InlineData("user_*", "user_", true)]
    [InlineData("user_*", "User_1", false)]
    [InlineData("*:*", "a:b", true)]
    [InlineData("*:*", "ab", false)]
    [InlineData("ünï*", "ünïcødé", true)]
    public void WhenAPatternIsMatchedItFollowsRedisGlobRules(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, GlobPattern.Parse(pattern).IsMatch(text));
    }

    [Theory]
    [InlineData("*", true, null)]
    [InlineData("**", true, null)]
    [InlineData("a*", false, null)]
    [InlineData("abc", false, "abc")]
    [InlineData("a\\*c", false, "a*c")]
    [InlineData("a\\", false, "a\\")]
    [InlineData("a?c", false, null)]
    [InlineData("a[b]c", false, null)]
    public void WhenAPatternIsParsedItKnowsWhetherItMatchesAllOrOneKey(string pattern, bool matchAll, string? exactKey)
    {
        var glob = GlobPattern.Parse(pattern);

        Assert.Equal(matchAll, glob.IsMatchAll);
        Assert.Equal(exactKey, glob.ExactKey);
        Assert.Equal(pattern, glob.Pattern);
    }

    [Fact]
    public void WhenTextIsEscapedTheResultMatchesOnlyThatText()
    {
        var random = new Random(4242);
        var texts = Enumerable.Range(0, 300).Select(_ => RandomString(random, 1, 6)).Concat(["*", "?", "[", "]", "\\", "[a-z]", "a\\", "^", "-"]).Distinct().ToArray();

        foreach (var text in texts)
        {
            var escaped = GlobPattern.Parse(GlobPattern.Escape(text));
            Assert.Equal(text, escaped.ExactKey);
            foreach (var other in texts)
            {
                Assert.Equal(text == other, escaped.IsMatch(other));
            }

            // Escaped as a prefix, the text still matches only itself: what tenant-scoped SCAN patterns rely on.
            var prefix = GlobPattern.Parse(GlobPattern.Escape(text) + ":*");
            Assert.True(prefix.IsMatch(text + ":key"));
            Assert.False(prefix.IsMatch("q" + text + ":key"));
        }

        Assert.Same("plain", GlobPattern.Escape("plain"));
    }

    [Fact]
    public async Task WhenPatternsAreMatchedTheyAgreeWithRedisScanMatch()
    {
        var random = new Random(20261124);
        var keys = new HashSet<string>(StringComparer.Ordinal)
        {
            "user_1", "user_2", "user_10", "user_a", "User_1", "a*b", "a?b", "a[b", "a]b", "a\\b", "ab", "axb", "a-b", "a^b",
            "hello", "hallo", "hxllo", "hllo", "heeeello", "[", "]", "\\", "*", "?", "-", "^", "a", "b", "c", "x",
        };
        while (keys.Count < 600)
        {
            keys.Add(RandomString(random, 1, 6));
        }

        var patterns = new HashSet<string>(StringComparer.Ordinal)
        {
            "*", "**", "?", "??", "???*", "user_*", "user_?", "user_[0-9]", "user_[^0-9]", "[uU]ser_1", "h?llo", "h*llo", "h[ae]llo",
            "h[^e]llo", "h[a-b]llo", "h[b-a]llo", "a\\*b", "a\\?b", "a\\[b", "a\\]b", "a\\\\b", "a[\\[\\]]b", "a[*?]b", "a[^a-z]b",
            "[", "]", "\\", "a\\", "[abc", "[^", "[]", "[]]", "[^]", "[a-]", "[-a]", "[a-c-e]", "[\\]]", "a[\\", "*[", "*\\", "[*]",
            "*a*", "*a*b*", "*?*", "[a-c]*", "*[^a]", "\\a*", "*\\*", "*\\?*", "[\\-]*", "[a-\\]]", "[\\a-c]",
        };
        foreach (var key in keys.Take(150))
        {
            patterns.Add(GlobPattern.Escape(key));
        }

        while (patterns.Count < 1100)
        {
            patterns.Add(RandomPattern(random));
        }

        var database = _connection!.GetDatabase();
        await database.ExecuteAsync("FLUSHALL");
        foreach (var chunk in keys.Chunk(200))
        {
            Assert.True(await database.StringSetAsync(chunk.Select(k => new KeyValuePair<RedisKey, RedisValue>(k, 1)).ToArray()));
        }

        var results = await Task.WhenAll(patterns.Select(async pattern => (pattern, matched: await ScanMatchAsync(database, pattern))));

        var disagreements = new List<string>();
        foreach (var (pattern, matched) in results)
        {
            var glob = GlobPattern.Parse(pattern);
            var ours = keys.Where(k => glob.IsMatch(k)).ToHashSet(StringComparer.Ordinal);
            if (!ours.SetEquals(matched))
            {
                disagreements.Add($"pattern \"{pattern}\": redis [{string.Join(", ", matched.Order(StringComparer.Ordinal))}] ours [{string.Join(", ", ours.Order(StringComparer.Ordinal))}]");
            }
        }

        Assert.True(disagreements.Count == 0, string.Join(Environment.NewLine, disagreements.Take(20)));
        Assert.Contains(results, r => r.matched.Count > 1 && r.matched.Count < keys.Count);
    }

    private static async Task<HashSet<string>> ScanMatchAsync(IDatabase database, string pattern)
    {
        var matched = new HashSet<string>(StringComparer.Ordinal);
        var cursor = "0";
        do
        {
            var reply = (RedisResult[])(await database.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", 10000))!;
            cursor = (string)reply[0]!;
            foreach (var key in (RedisResult[])reply[1]!)
            {
                matched.Add((string)key!);
            }
        }
        while (cursor != "0");

        return matched;
    }

    private static string RandomString(Random random, int minLength, int maxLength)
    {
        var chars = new char[random.Next(minLength, maxLength + 1)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[random.Next(Alphabet.Length)];
        }

        return new string(chars);
    }

    private static string RandomPattern(Random random)
    {
        // Mostly literals, with wildcards, classes (sometimes negated, ranged or left open) and escapes mixed in.
        var builder = new System.Text.StringBuilder();
        var parts = random.Next(1, 5);
        for (var i = 0; i < parts; i++)
        {
            switch (random.Next(10))
            {
                case 0:
                    builder.Append('*');
                    break;
                case 1:
                    builder.Append('?');
                    break;
                case 2:
                    builder.Append('\\').Append(Alphabet[random.Next(Alphabet.Length)]);
                    break;
                case 3:
                case 4:
                    builder.Append('[');
                    if (random.Next(3) == 0)
                    {
                        builder.Append('^');
                    }

                    builder.Append(RandomString(random, 0, 3));
                    if (random.Next(4) != 0)
                    {
                        builder.Append(']');
                    }

                    break;
                default:
                    builder.Append(RandomString(random, 1, 2));
                    break;
            }
        }

        return builder.ToString();
    }
}
