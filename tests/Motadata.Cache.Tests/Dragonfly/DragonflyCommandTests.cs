using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// Watches the server with <c>MONITOR</c> while the cache does everything it can do, and checks that it only sends
/// commands Dragonfly supports and never touches a key outside its prefix.
/// </summary>
public sealed partial class DragonflyCommandTests : IClassFixture<RedisServerFixture>
{
    // What the cache may send: its own commands, and the client's handshake and heartbeat.
    private static readonly HashSet<string> s_allowed = new(StringComparer.OrdinalIgnoreCase)
    {
        "GET", "SET", "SETEX", "PSETEX", "MGET", "DEL", "UNLINK", "SCAN", "MEMORY",
        "PING", "ECHO", "INFO", "SELECT", "CLIENT", "CLUSTER", "AUTH", "HELLO", "QUIT",
    };

    // Commands whose arguments after the name are all keys (the rest carry no key, or only in known places).
    private static readonly HashSet<string> s_allArgumentsAreKeys = new(StringComparer.OrdinalIgnoreCase) { "GET", "MGET", "DEL", "UNLINK" };

    private readonly RedisServerFixture _fixture;

    public DragonflyCommandTests(RedisServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task TheCacheSendsOnlyDragonflyCommandsAndTouchesOnlyKeysUnderItsPrefix()
    {
        var prefix = RedisServerFixture.UniquePrefix("commands");
        await _fixture.Raw.StringSetAsync("someone-else", "theirs");
        var lines = await MonitorAsync(async () =>
        {
            await using var cache = new CacheMechanism(new CacheConfig
            {
                Backend = CacheBackend.Dragonfly,
                DragonflyUrl = _fixture.Server.Url,
                KeyPrefix = prefix,
                MaxValueBytes = 100,
                EnableRecovery = false,
                OperationTimeout = TimeSpan.FromSeconds(5),
            });
            cache.Set("k", "v", tenantId: "t");
            await cache.SetAsync("forever", 42, Timeout.InfiniteTimeSpan, "t");
            cache.Set("big", new string('x', 200), tenantId: "t");
            cache.Get<string>("k", "t");
            await cache.GetAsync<int>("forever", "t");
            await cache.GetManyAsync<string>(["k", "missing"], "t");
            cache.WarmCache([KeyValuePair.Create("w1", "a"), KeyValuePair.Create("w2", "b")], tenantId: "t");
            await cache.WarmCacheAsync([KeyValuePair.Create("w3", "c")]);
            await _fixture.Raw.StringSetAsync(RedisServerFixture.ServerKey(prefix, "t", "bad"), "garbage");
            cache.Get<string>("bad", "t");
            cache.GetStats("t");
            await cache.GetStatsAsync();
            cache.Invalidate("w*", "t");
            cache.Invalidate("*" + new string('a', 300) + "b", "t");
            await cache.InvalidateAsync("w?[0-9]*x", "t");
            await cache.InvalidateAsync("k");
            cache.Delete("forever", "t");
            await cache.ClearAsync("t");
            cache.Clear();
            await cache.GetOrSetAsync("g", _ => ValueTask.FromResult("made"), tenantId: "t");
        });

        var commands = lines.Select(Parse).Where(c => c.Count > 0).ToList();
        Assert.NotEmpty(commands);
        Assert.Contains(commands, c => c[0] == "SCAN");
        Assert.Contains(commands, c => c[0] == "UNLINK");
        Assert.Contains(commands, c => c[0] == "MGET");
        Assert.Contains(commands, c => c[0] == "MEMORY");
        foreach (var command in commands)
        {
            var line = string.Join(' ', command);
            Assert.True(s_allowed.Contains(command[0]), $"unexpected command: {line}");
            if (command[0] == "CLIENT")
            {
                Assert.True(command[1] is "SETNAME" or "ID", $"unexpected CLIENT subcommand: {line}");
            }

            if (s_allArgumentsAreKeys.Contains(command[0]) || command[0] is "SET" or "SETEX" or "PSETEX")
            {
                Assert.StartsWith(prefix, command[1], StringComparison.Ordinal);
            }

            if (s_allArgumentsAreKeys.Contains(command[0]))
            {
                Assert.All(command.Skip(1), key => Assert.StartsWith(prefix, key, StringComparison.Ordinal));
            }

            if (command[0] == "SCAN")
            {
                Assert.Equal("MATCH", command[2]);
                Assert.StartsWith(prefix, command[3], StringComparison.Ordinal);

                // Only a literal prefix and one final star (clear-all: one fixed class too): Redis's matcher costs
                // pattern x key length per key, so a caller's wildcards are matched by the client, never by the
                // server every tenant shares.
                var fixedClass = command[3].EndsWith("{[gt]*", StringComparison.Ordinal) || command[3].EndsWith("[gt]:*", StringComparison.Ordinal) ? 1 : 0;
                Assert.Equal(1 + fixedClass, UnescapedWildcards(command[3]));
                Assert.EndsWith("*", command[3], StringComparison.Ordinal);
            }

            if (command[0] == "MEMORY")
            {
                Assert.Equal("USAGE", command[1]);
                Assert.StartsWith(prefix, command[2], StringComparison.Ordinal);
            }
        }

        Assert.Equal("theirs", (string?)await _fixture.Raw.StringGetAsync("someone-else"));
    }

    /// <summary>The command lines the server reports while <paramref name="work"/> runs (other clients' lines too, filtered out by port).</summary>
    private async Task<List<string>> MonitorAsync(Func<Task> work)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _fixture.Server.Port);
        var stream = client.GetStream();
        await stream.WriteAsync("*1\r\n$7\r\nMONITOR\r\n"u8.ToArray());
        var reader = new StreamReader(stream, Encoding.Latin1);
        Assert.Equal("+OK", await reader.ReadLineAsync());

        // The raw test client is already connected, so every new connection is the cache's; lines from the raw
        // client's port are left out.
        var rawClientPorts = new HashSet<string>(StringComparer.Ordinal);
        await _fixture.Raw.PingAsync();
        await work();
        var marker = "end-" + Guid.NewGuid().ToString("N");
        await _fixture.Raw.ExecuteAsync("ECHO", marker);

        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                rawClientPorts.Add(ClientOf(line));
                break;
            }

            lines.Add(line);
        }

        // The raw client also wrote the garbage value and pinged; drop every line from its connection.
        var rawPort = rawClientPorts.Single();
        return lines.Where(l => ClientOf(l) != rawPort).ToList();
    }

    /// <summary>How many of <c>*</c>, <c>?</c> and <c>[</c> in a glob are syntax (not escaped with a backslash).</summary>
    private static int UnescapedWildcards(string glob)
    {
        var count = 0;
        for (var i = 0; i < glob.Length; i++)
        {
            if (glob[i] == '\\')
            {
                i++;
            }
            else if (glob[i] is '*' or '?' or '[')
            {
                count++;
            }
        }

        return count;
    }

    private static string ClientOf(string line) => ClientRegex().Match(line).Groups[1].Value;

    private static List<string> Parse(string line) =>
        ArgumentRegex().Matches(line).Select(m => Regex.Unescape(m.Groups[1].Value)).ToList();

    [GeneratedRegex(@"\[\d+ ([^\]]+)\]")]
    private static partial Regex ClientRegex();

    [GeneratedRegex(@"""((?:[^""\\]|\\.)*)""")]
    private static partial Regex ArgumentRegex();
}
