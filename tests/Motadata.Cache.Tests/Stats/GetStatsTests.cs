using System.Globalization;
using Motadata.Cache.Stats;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Stats;

/// <summary>
/// <see cref="CacheMechanism.GetStats"/> reads counters only; walking the server is <see cref="CacheMechanism.GetUsageAsync"/>.
/// Each test starts a <c>redis-server</c> of its own, because it counts the server's commands or pauses it.
/// </summary>
public sealed class GetStatsTests : IAsyncLifetime
{
    private RedisServer _server = null!;

    public async Task InitializeAsync() => _server = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private CacheMechanism CreateCache(Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = _server.Url,
            EnableRecovery = false,
            OperationTimeout = TimeSpan.FromSeconds(2),
        };
        configure?.Invoke(config);
        return new CacheMechanism(config);
    }

    [Fact]
    public async Task GetStatsSendsTheServerNoCommandWhileGetUsageAsyncWalksIt()
    {
        await using var cache = CreateCache();
        cache.WarmCache(Enumerable.Range(0, 20).Select(i => KeyValuePair.Create($"k{i}", new string('x', 50))), tenantId: "t");
        cache.Get<string>("k1", "t");
        var before = await CommandsAsync();

        var stats = cache.GetStats("t");
        var whole = cache.GetStats();

        Assert.Equal(before, await CommandsAsync());
        Assert.Equal((1L, 20L, 0L), (stats.Hits, stats.Sets, stats.Size));
        Assert.Equal(20, whole.Sets);

        var usage = await cache.GetUsageAsync("t");
        Assert.Equal(("t", 20L), (usage.TenantId, usage.Size));
        Assert.True(usage.MemoryUsage > 20 * 50, $"MEMORY USAGE gave {usage.MemoryUsage} bytes");
        Assert.Equal(20, Assert.Single(usage.Nodes).Size);
        var after = await CommandsAsync();
        Assert.True(after.Scan > before.Scan, "GetUsageAsync scans the server");
        Assert.True(after.Memory > before.Memory, "GetUsageAsync asks MEMORY USAGE");
    }

    [Fact]
    public async Task GetStatsAnswersWhileTheServerIsPausedAndGetUsageAsyncFails()
    {
        await using var cache = CreateCache();
        cache.Set("k", "v", tenantId: "t");
        cache.Get<string>("k", "t");
        cache.Get<string>("missing", "t");

        _server.Pause();
        try
        {
            // A server call would wait for the paused server until the operation timeout, then throw (recovery off).
            var stats = cache.GetStats("t");
            Assert.Equal((1L, 1L, 1L), (stats.Hits, stats.Misses, stats.Sets));
            Assert.Equal(0, cache.GetStats().Dragonfly!.BackendFailures);
            await Assert.ThrowsAsync<CacheBackendException>(async () => await cache.GetUsageAsync("t"));
        }
        finally
        {
            _server.Resume();
        }
    }

    [Fact]
    public async Task TheLocalLevelCountsOnItsOwnCountersWhichTheStatisticsShowAsASection()
    {
        await using var cache = CreateCache(c => c.EnableLocalLevel = true);
        Assert.True(cache.Set("k", "v", tenantId: "t"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (cache.GetStats("t").LocalLevel!.Hits == 0)
        {
            Assert.Equal("v", cache.Get<string>("k", "t"));
            Assert.True(DateTime.UtcNow < deadline, "the local level never answered");
            await Task.Delay(5);
        }

        var stats = cache.GetStats("t");
        var local = stats.LocalLevel!;
        Assert.True(local.Hits >= 1);
        Assert.Equal(stats.Hits - local.Hits, local.ServerHits);
        Assert.Equal(1, local.Size);
        Assert.True(local.MemoryUsage > 0);

        // No tier writes into the cache's own table: every local-level kind is on the local level's counters.
        foreach (var info in CounterKinds.All.Where(info => info.Section == CounterSection.LocalLevel))
        {
            Assert.Equal(0, cache.Statistics.Total(info.Kind, null));
        }

        Assert.Equal(local.Hits, cache.LocalStatistics!.Total(CounterKind.Hits, "t") + cache.LocalStatistics.Total(CounterKind.LocalHits, "t"));
        Assert.Null(stats.Recovery);
        Assert.Null(stats.Dragonfly);
        Assert.NotNull(cache.GetStats().Dragonfly);
    }

    [Fact]
    public async Task ASectionIsNullWhenItsFeatureIsOff()
    {
        await using var memory = CacheMechanism.CreateMemory();
        var onMemory = memory.GetStats();
        Assert.Equal((true, true, true), (onMemory.LocalLevel is null, onMemory.Recovery is null, onMemory.Dragonfly is null));

        await using var plain = CreateCache();
        var onDragonfly = plain.GetStats();
        Assert.Equal((true, true, false), (onDragonfly.LocalLevel is null, onDragonfly.Recovery is null, onDragonfly.Dragonfly is null));

        await using var recovering = CreateCache(c => c.EnableRecovery = true);
        Assert.NotNull(recovering.GetStats().Recovery);
        Assert.Null(recovering.GetStats("t").Recovery);
    }

    /// <summary>How many SCAN and MEMORY commands the server has run (INFO commandstats).</summary>
    private async Task<(long Scan, long Memory)> CommandsAsync()
    {
        var info = await _server.CommandAsync("INFO", "commandstats");
        return (Calls(info, "cmdstat_scan:"), Calls(info, "cmdstat_memory"));

        static long Calls(string info, string prefix)
        {
            long total = 0;
            foreach (var line in info.Split('\n'))
            {
                // "cmdstat_memory|usage:calls=3,..." on newer servers, "cmdstat_memory:calls=3,..." on older ones.
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    var start = line.IndexOf("calls=", StringComparison.Ordinal) + "calls=".Length;
                    total += long.Parse(line[start..line.IndexOf(',', start)], CultureInfo.InvariantCulture);
                }
            }

            return total;
        }
    }
}
