using System.Collections.Concurrent;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// One node of several frozen (SIGSTOP, a partition), recovery on, on a cluster and on independent sharded nodes
/// alike: the keys of the other nodes keep being served (counted: every one a hit, no failed call), the frozen
/// node's share misses, no exception reaches a caller, and after it thaws nothing invalidated meanwhile is served.
/// </summary>
public abstract class NodeOutageTests(IMultiNodeTestTarget target) : MultiNodeTestsBase(target)
{
    protected const int Keys = 300;
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    protected static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    [Fact]
    public async Task WhenOneNodeIsPausedTheOthersKeepServingItsShareMissesAndAfterItNothingInvalidatedIsServed()
    {
        FailuresExpected = true;
        var logs = new Recovery.RecordingLoggerFactory();
        var cache = CreateOutageCache(logs);

        // Written before the fault through a cache with the generous timeout, so a stalled machine cannot fail them.
        Assert.Equal(Keys, await CreateCache().WarmCacheAsync(Numbered("k:", Keys), Ttl, "t"));
        var nodeOf = await NodeOfEachCallerKeyAsync("t");
        const int Paused = 1;
        var healthy = nodeOf.Where(pair => pair.Value != Paused).Select(pair => pair.Key).ToList();
        var frozen = nodeOf.Where(pair => pair.Value == Paused).Select(pair => pair.Key).ToList();
        Assert.True(healthy.Count > 0 && frozen.Count > 0, $"The keys are not spread ({healthy.Count} on healthy nodes, {frozen.Count} on the paused one).");

        // Invalidated during the pause: every "k:1*" key (on every node), and one single key of the paused node.
        var invalidated = nodeOf.Keys.Where(key => key.StartsWith("k:1", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var deleted = frozen.First(key => !invalidated.Contains(key));
        var rewritten = healthy.First(key => !invalidated.Contains(key));
        var errors = new ConcurrentQueue<Exception>();
        long invalidatedCount = -1;

        Target.Servers[Paused].Pause();
        try
        {
            // Several rounds, all keys at once: a breaker that opened for every node would show as misses on healthy ones.
            for (var round = 0; round < 3; round++)
            {
                var values = await ReadAllAsync(cache, nodeOf.Keys, errors);
                Assert.All(healthy, key => Assert.Equal(ValueOf(key), values[key]));
                Assert.All(frozen, key => Assert.Null(values[key]));
            }

            // Calls that touch only healthy nodes are served (a call that waited on the paused node would have missed).
            var again = await ReadAllAsync(cache, healthy, errors);
            Assert.All(healthy, key => Assert.Equal(ValueOf(key), again[key]));
            Assert.True(await Guard(errors, () => cache.SetAsync(rewritten, -1, Ttl, "t").AsTask()), "A write to a healthy node failed during the pause.");
            Assert.Equal(-1, await Guard(errors, () => cache.GetAsync<int?>(rewritten, "t").AsTask()));

            invalidatedCount = await Guard(errors, () => cache.InvalidateAsync("k:1*", "t").AsTask());
            await Guard(errors, () => cache.DeleteAsync(deleted, "t").AsTask());

            // The healthy nodes' matching keys are gone at once; through this instance none of them is served.
            foreach (var key in invalidated.Where(healthy.Contains))
            {
                Assert.Null(await Guard(errors, () => cache.GetAsync<int?>(key, "t").AsTask()));
            }
        }
        finally
        {
            Target.Servers[Paused].Resume();
        }

        Assert.Empty(errors);
        await cache.WaitForRecoveryAsync().WaitAsync(Patience);

        // A fresh instance (recovery off: any error shows) reads the servers as they are after the replay.
        var reader = CreateCache(config => config.EnableRecovery = false);
        var stale = new List<string>();
        var lost = new List<string>();
        foreach (var key in nodeOf.Keys)
        {
            int? expected = invalidated.Contains(key) || key == deleted ? null : key == rewritten ? -1 : ValueOf(key);
            foreach (var (who, value) in new[] { ("fresh instance", await reader.GetAsync<int?>(key, "t")), ("instance that invalidated", await cache.GetAsync<int?>(key, "t")) })
            {
                if (value != expected)
                {
                    (expected is null ? stale : lost).Add($"{key} (node {nodeOf[key]}) read {value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "absent"} by the {who}, expected {expected?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "absent"}");
                }
            }
        }

        var stats = cache.GetStats();
        var context = $"node {Paused} was paused; the invalidation during the pause returned {invalidatedCount}; replayed operations {stats.ReplayedOperations}, breaker openings {stats.BreakerOpenings}; recovery log events: {string.Join(", ", logs.Lines.GroupBy(line => line.EventId.Name).Select(group => $"{group.Key} x{group.Count()}"))}; {string.Join(" / ", logs.Lines.Where(line => line.EventId.Name is "CacheReplayWidened" or "CacheReplayAbandoned").Select(line => line.Message).Take(2))}";
        Assert.True(stale.Count == 0, $"{stale.Count} value(s) removed during the pause served after it ({context}): {string.Join("; ", stale.Take(5))}");

        // The paused node's other keys were not removed: a replay to it must not be widened into a clear of the tenant
        // because another node answered the probe while it was still frozen.
        Assert.True(lost.Count == 0, $"{lost.Count} value(s) nobody removed are gone after the pause ({context}): {string.Join("; ", lost.Take(5))}");
    }

    [Fact]
    public async Task WhenOneNodeIsPausedATenantClearAndStatsReachTheOthersAndAfterItNothingOfTheClearedTenantIsLeft()
    {
        FailuresExpected = true;
        var cache = CreateOutageCache();
        var writer = CreateCache();
        Assert.Equal(Keys, await writer.WarmCacheAsync(Numbered("k:", Keys), Ttl, "t"));
        Assert.Equal(100, await writer.WarmCacheAsync(Numbered("k:", 100), Ttl, "kept"));
        var keptOf = (await NodeOfEachKeyAsync(NamespacePrefix("kept"))).Values.ToList();
        const int Paused = 2;
        var keptHealthy = keptOf.Count(node => node != Paused);
        Assert.True(keptHealthy is > 0 and < 100, $"The kept tenant's keys are not spread ({keptHealthy} of 100 on healthy nodes).");
        var errors = new ConcurrentQueue<Exception>();

        Target.Servers[Paused].Pause();
        try
        {
            await Guard(errors, () => cache.ClearAsync("t").AsTask());
            var stats = await Guard(errors, () => cache.GetStatsAsync("kept").AsTask());

            // The healthy nodes answered: their share is counted (what the frozen node holds cannot be).
            Assert.NotNull(stats);
            Assert.InRange(stats.Size, keptHealthy, 100);
            Assert.Equal(0, await CountOnHealthyNodesAsync(NamespacePrefix("t"), Paused));
        }
        finally
        {
            Target.Servers[Paused].Resume();
        }

        Assert.Empty(errors);
        await cache.WaitForRecoveryAsync().WaitAsync(Patience);

        Assert.Equal(0, await CountAsync(NamespacePrefix("t")));
        Assert.Equal(100, await CountAsync(NamespacePrefix("kept")));
        Assert.Equal(100, (await cache.GetStatsAsync("kept")).Size);
        Assert.Null(await cache.GetAsync<int?>("k:5", "t"));
    }

    private async Task<long> CountOnHealthyNodesAsync(string prefix, int paused)
    {
        long count = 0;
        for (var node = 0; node < Target.Servers.Count; node++)
        {
            if (node != paused)
            {
                count += (await Target.KeysOnNodeAsync(node, prefix)).Count;
            }
        }

        return count;
    }

    /// <summary>
    /// A cache whose calls give up on a frozen node within seconds, and whose breaker probes often. The timeout also
    /// bounds the calls to the healthy nodes, which the tests expect to be served: 2 s, so a busy machine's stall of
    /// half a second cannot turn one of them into a miss (it did with 500 ms).
    /// </summary>
    protected CacheMechanism CreateOutageCache(Microsoft.Extensions.Logging.ILoggerFactory? logs = null) => CreateCache(config =>
    {
        config.LoggerFactory = logs;
        config.OperationTimeout = TimeSpan.FromSeconds(2);
        config.RecoveryBreakDuration = TimeSpan.FromMilliseconds(500);
    });

    protected static int ValueOf(string key) => int.Parse(key.AsSpan("k:".Length), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Which node holds each of <paramref name="tenantId"/>'s caller keys.</summary>
    protected async Task<Dictionary<string, int>> NodeOfEachCallerKeyAsync(string tenantId)
    {
        var prefix = NamespacePrefix(tenantId);
        return (await NodeOfEachKeyAsync(prefix)).ToDictionary(pair => pair.Key[prefix.Length..], pair => pair.Value, StringComparer.Ordinal);
    }

    /// <summary>Reads every key at once (async), recording any exception instead of throwing.</summary>
    protected static async Task<Dictionary<string, int?>> ReadAllAsync(CacheMechanism cache, IEnumerable<string> keys, ConcurrentQueue<Exception> errors)
    {
        var list = keys.ToList();
        var reads = list.Select(key => Guard(errors, () => cache.GetAsync<int?>(key, "t").AsTask())).ToList();
        var values = await Task.WhenAll(reads);
        return list.Zip(values).ToDictionary(pair => pair.First, pair => pair.Second, StringComparer.Ordinal);
    }

    /// <summary>Runs a call, recording an exception (none may reach a caller with recovery on) and returning the default instead.</summary>
    protected internal static async Task<T?> Guard<T>(ConcurrentQueue<Exception> errors, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
#pragma warning disable CA1031 // Recorded, and the test asserts there were none.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            errors.Enqueue(exception);
            return default;
        }
    }
}
