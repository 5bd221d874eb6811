using Motadata.Cache.Keys;
using Motadata.Cache.Tests.Infrastructure;
using StackExchange.Redis;

namespace Motadata.Cache.Tests.Keys;

/// <summary>
/// Redis glob semantics, by table and by difference against a real <c>redis-server</c>: whatever
/// <c>SCAN MATCH</c> returns for a pattern, <see cref="GlobPattern.IsMatch(ReadOnlySpan{char})"/> must agree key for
/// key. Redis matches the UTF-8 bytes of pattern and key, so non-ASCII text is matched byte by byte.
/// </summary>
public sealed class GlobPatternTests : IAsyncLifetime
{
    // Letters plus every character glob syntax gives a meaning to, so random patterns and keys collide with it often,
    // plus multi-byte characters: é, ë, Ã share the lead byte C3; © (C2 A9) shares é's last byte; ü, 中, 語 and 😀
    // (a surrogate pair, four bytes) complete the set. Whole characters, so surrogate pairs stay paired.
    private static readonly string[] Alphabet =
    [
        "a", "b", "c", "x", "-", "^", "]", "\\", "[", "*", "?", "Z", "0", "é", "ë", "Ã", "©", "ü", "中", "語", "😀", "\u007f",
    ];
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
    [InlineData("caf?", "café", false)]
    [InlineData("caf??", "café", true)]
    [InlineData("caf???", "café", false)]
    [InlineData("caf?", "cafe", true)]
    [InlineData("user_*", "user_é", true)]
    [InlineData("user_*", "usér_1", false)]
    [InlineData("caf\\*?", "caf*é", false)]
    [InlineData("caf\\*??", "caf*é", true)]
    [InlineData("caf*", "café", true)]
    [InlineData("*é", "café", true)]
    [InlineData("?", "é", false)]
    [InlineData("??", "é", true)]
    [InlineData("?", "中", false)]
    [InlineData("??", "中", false)]
    [InlineData("???", "中", true)]
    [InlineData("??", "😀", false)]
    [InlineData("????", "😀", true)]
    [InlineData("a??b", "a😀b", false)]
    [InlineData("a????b", "a😀b", true)]
    [InlineData("a??b", "aéb", true)]
    [InlineData("*😀*", "x😀y", true)]
    [InlineData("[é]", "é", false)]
    [InlineData("[é]?", "é", true)]
    [InlineData("?[é]", "é", true)]
    [InlineData("[é][é]", "é", true)]
    [InlineData("[é][é]", "ë", false)]
    [InlineData("[^a]", "é", false)]
    [InlineData("[^a]?", "é", true)]
    [InlineData("[^é]?", "é", false)]
    [InlineData("caf\\é", "café", true)]
    [InlineData("\\é", "é", true)]
    [InlineData("[\\é]?", "é", true)]
    [InlineData("?[é-ë]", "é", true)]
    [InlineData("?[é-ë]", "ë", true)]
    [InlineData("?[é-ë]", "Ã", false)]
    [InlineData("[a-é]", "A", true)]
    [InlineData("[a-é]", "b", false)]
    [InlineData("[\u0001-\u007f]", "é", false)]
    [InlineData("[\u0001-\u007f]??", "é", false)]
    [InlineData("[\u0001-\u00ff]?", "é", true)]
    [InlineData("[\u0001-\u00ff]?", "\u007f", false)]
    public void WhenPatternOrTextIsNotAsciiItMatchesUtf8BytesAsRedisDoes(string pattern, string text, bool expected)
    {
        // '?' and classes take one byte: é is C3 A9, 中 E4 B8 AD, 😀 F0 9F 98 80 (two UTF-16 characters). Ranges
        // compare bytes as signed chars, as Redis on x86-64 does: [a-é] is a(61)..C3 swapped, i.e. C3..FF then
        // 00..61, which holds 'A' but not 'b'. [\u0001-\u00ff] is 01 '-' C3 then BF: the range 01..C3 swaps to
        // C3..FF plus 00..01, so it takes é's lead byte but not DEL (7F).
        var glob = GlobPattern.Parse(pattern);

        Assert.Equal(expected, glob.IsMatch(text));
        Assert.Equal(expected, glob.IsMatch(System.Text.Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void WhenKeysAreLongerThanTheStackBufferTheyMatchAllTheSame()
    {
        var glob = GlobPattern.Parse("*é?");
        var longKey = new string('x', 5000) + "é!";

        Assert.True(glob.IsMatch(longKey));
        Assert.False(glob.IsMatch(longKey + "!"));
        Assert.True(GlobPattern.Parse("x*[^x]?").IsMatch(new string('x', 400) + "é"));
        Assert.False(GlobPattern.Parse("x*[^x]??").IsMatch(new string('x', 400) + "é"));
    }

    [Fact]
    public void WhenKeysAreMatchedNothingIsAllocated()
    {
        // Invalidate on the memory backend matches every key of the namespace: encoding a key to UTF-8 must use the
        // stack (short keys) or the shared pool (long keys), never a new array per key.
        var glob = GlobPattern.Parse("user_[0-9]*é?");
        string[] keys = ["user_1", "user_42é!", "user_x", "中文😀", new string('k', 2000) + "é!"];
        var matched = 0;
        foreach (var key in keys)
        {
            matched += glob.IsMatch(key) ? 1 : 0;
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            foreach (var key in keys)
            {
                matched += glob.IsMatch(key) ? 1 : 0;
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1001, matched);
    }

    [Fact]
    public void WhenTextHoldsALoneSurrogateItMatchesAsTheReplacementCharacterItIsSentAs()
    {
        // StackExchange.Redis encodes a lone surrogate as U+FFFD (EF BF BD), so that is the key Redis holds and
        // matches. (Not [InlineData]: attribute strings are stored as UTF-8, which cannot carry a lone surrogate.)
        const string loneSurrogate = "a\uD800";

        Assert.True(GlobPattern.Parse("a\uFFFD").IsMatch(loneSurrogate));
        Assert.True(GlobPattern.Parse("a???").IsMatch(loneSurrogate));
        Assert.False(GlobPattern.Parse("a?").IsMatch(loneSurrogate));
        Assert.True(GlobPattern.Parse(loneSurrogate).IsMatch("a\uFFFD"));
        Assert.Null(GlobPattern.Parse(loneSurrogate).ExactKey);
        Assert.Null(GlobPattern.Parse("a\uFFFD").ExactKey);
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
    [InlineData("café", false, "café")]
    [InlineData("caf\\é", false, "café")]
    [InlineData("caf?", false, null)]
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
            "café", "cafe", "cafë", "cafÃ", "caf", "cafés", "naïve", "über", "Über", "中", "中文", "日本語", "😀", "a😀b", "aéb",
            "©", "é", "\u007f", "\u0080", "\u00ff", "\u0100", "\uFFFD", "\U0010FFFF", "x\U0001F600\U0001F601y",
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
            "caf?", "caf??", "caf???", "caf*", "caf[^e]?", "caf[é][é]", "caf?[é-ë]", "caf\\é", "*é", "*é*", "?", "??", "???",
            "????", "a??b", "a????b", "*😀*", "[中]*", "[^中]*", "[é]", "[é]?", "?[é]", "[^é]?", "[a-é]*", "[é-a]*", "?[é-ë]",
            "[\u0001-\u007f]*", "[\u0001-\u00ff]*", "[\u0080-\uffff]*", "*[\u0080-\u00bf]", "[^\u0000-\u007f]*", "[ü-Ü]*",
            "[Ü-ü]*", "?ber", "??ber", "[^a-z]ber", "[^a-z]?ber", "\\中*", "[\\中]*", "*[©é]", "*[^©]", "[😀", "[^😀",
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

    [Fact]
    public async Task WhenAPatternHasOverAThousandStarsItGivesUpAsRedisDoes()
    {
        // stringmatchlen answers "no match" once a star would recurse past 1000 levels; a final star never recurses.
        string[] keys = [new string('a', 1200), new string('a', 1200) + "b", "ab", "a"];
        string[] patterns =
        [
            Repeat("*a", 999) + "*b", Repeat("*a", 1000) + "*", Repeat("*a", 1000) + "*b", Repeat("*a", 1000), Repeat("*a", 1000) + "b",
            Repeat("*a", 1001), Repeat("*?", 1001), Repeat("*a", 1001) + "*", "a" + Repeat("*a", 1000) + "*b",
        ];
        var database = _connection!.GetDatabase();
        await database.ExecuteAsync("FLUSHALL");
        Assert.True(await database.StringSetAsync(keys.Select(k => new KeyValuePair<RedisKey, RedisValue>(k, 1)).ToArray()));

        var outcomes = new List<bool>();
        foreach (var pattern in patterns)
        {
            var matched = await ScanMatchAsync(database, pattern);
            var glob = GlobPattern.Parse(pattern);
            foreach (var key in keys)
            {
                Assert.True(matched.Contains(key) == glob.IsMatch(key), $"pattern of {pattern.Length} characters, key of {key.Length}: redis {matched.Contains(key)}");
                outcomes.Add(matched.Contains(key));
            }
        }

        Assert.Contains(true, outcomes);
        Assert.Contains(false, outcomes);
        Assert.False(GlobPattern.Parse(Repeat("*a", 1001)).IsMatch(new string('a', 1200)));
        Assert.True(GlobPattern.Parse(Repeat("*a", 1000)).IsMatch(new string('a', 1200)));

        static string Repeat(string text, int count) => string.Concat(Enumerable.Repeat(text, count));
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
        var builder = new System.Text.StringBuilder();
        var length = random.Next(minLength, maxLength + 1);
        for (var i = 0; i < length; i++)
        {
            builder.Append(Alphabet[random.Next(Alphabet.Length)]);
        }

        return builder.ToString();
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
