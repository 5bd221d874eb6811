using System.Collections.Concurrent;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// One of three independent sharded servers frozen, or killed and restarted empty, recovery on: each server has its
/// own connection and recovery, so only its share of the keys misses and no error reaches a caller.
/// </summary>
public sealed class ShardedNodesOutageTests(RedisNodesFixture fixture) : NodeOutageTests(fixture), IClassFixture<RedisNodesFixture>
{
    [Fact]
    public async Task WhenOneNodeIsKilledOnlyItsShareMissesAndRestartedEmptyItRecoversWithNoErrorLeaked()
    {
        FailuresExpected = true;
        var cache = CreateOutageCache();
        Assert.Equal(Keys, await cache.WarmCacheAsync(Numbered("k:", Keys), Ttl, "t"));
        var nodeOf = await NodeOfEachCallerKeyAsync("t");
        const int Killed = 2;
        var healthy = nodeOf.Where(pair => pair.Value != Killed).Select(pair => pair.Key).ToList();
        var lost = nodeOf.Where(pair => pair.Value == Killed).Select(pair => pair.Key).ToList();
        Assert.True(healthy.Count > 0 && lost.Count > 0, $"The keys are not spread ({healthy.Count} on healthy nodes, {lost.Count} on the killed one).");
        var errors = new ConcurrentQueue<Exception>();
        var healthWhileDown = CacheHealthStatus.Healthy;

        await Target.Servers[Killed].KillAsync();
        try
        {
            for (var round = 0; round < 3; round++)
            {
                var values = await ReadAllAsync(cache, nodeOf.Keys, errors);
                Assert.All(healthy, key => Assert.Equal(ValueOf(key), values[key]));
                Assert.All(lost, key => Assert.Null(values[key]));
            }

            healthWhileDown = cache.Health.Status;
            Assert.True(await Guard(errors, () => cache.SetAsync(healthy[0], -1, Ttl, "t").AsTask()), "A write to a healthy node failed while another was down.");
            Assert.Equal(-1, await Guard(errors, () => cache.GetAsync<int?>(healthy[0], "t").AsTask()));
        }
        finally
        {
            await Target.Servers[Killed].RestartAsync();
        }

        await cache.WaitForRecoveryAsync().WaitAsync(Patience);
        Assert.Equal(CacheHealthStatus.Healthy, cache.Health.Status);

        // The restarted node is empty: its share misses, the rest is as it was, and it takes writes again.
        var after = await ReadAllAsync(cache, nodeOf.Keys, errors);
        Assert.All(healthy.Skip(1), key => Assert.Equal(ValueOf(key), after[key]));
        Assert.Equal(-1, after[healthy[0]]);
        Assert.All(lost, key => Assert.Null(after[key]));
        foreach (var key in lost)
        {
            Assert.True(await Guard(errors, () => cache.SetAsync(key, ValueOf(key) + 1, Ttl, "t").AsTask()), $"Writing {key} to the restarted node failed.");
        }

        var reader = CreateCache(config => config.EnableRecovery = false);
        Assert.All(lost, key => Assert.Equal(ValueOf(key) + 1, reader.Get<int?>(key, "t")));
        Assert.Equal(lost.Count, await CountOnNodeAsync(Killed));
        Assert.Empty(errors);

        // Checked last, so a wrong status does not hide how the keys behaved: two of three servers serve, so Degraded.
        Assert.Equal(CacheHealthStatus.Degraded, healthWhileDown);
    }

    private async Task<int> CountOnNodeAsync(int node) => (await Target.KeysOnNodeAsync(node, NamespacePrefix("t"))).Count;
}
