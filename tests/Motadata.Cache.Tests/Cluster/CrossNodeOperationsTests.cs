using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// What must hold whatever node a key lands on, on a cluster and on independent sharded nodes alike: a big tenant
/// spreads over every node; Invalidate, Clear and GetStats cover every node exactly and touch nothing of another
/// application; batch writes and reads across nodes keep every pair and the callers' order.
/// </summary>
public abstract class CrossNodeOperationsTests(IMultiNodeTestTarget target) : MultiNodeTestsBase(target)
{
    private static readonly TimeSpan s_ttl = TimeSpan.FromHours(1);

    [Fact]
    public async Task WhenOneTenantWarms30000KeysTheyLandOnEveryNodeEachHoldingBetween20And47Percent()
    {
        const int Keys = 30_000;
        var cache = CreateCache();

        Assert.Equal(Keys, await cache.WarmCacheAsync(Numbered("item:", Keys), s_ttl, "big-tenant"));

        var counts = await Target.CountPerNodeAsync(NamespacePrefix("big-tenant"));
        Assert.Equal(Keys, counts.Sum());
        for (var i = 0; i < counts.Length; i++)
        {
            Assert.True(
                counts[i] >= Keys * 20 / 100 && counts[i] <= Keys * 47 / 100,
                $"Node {i} holds {counts[i]} of {Keys} keys ({100.0 * counts[i] / Keys:F1}%); every node must hold 20% to 47%. All: {string.Join(", ", counts)}.");
        }

        Assert.Equal(Keys, (await cache.GetStatsAsync("big-tenant")).Size);
    }

    [Fact]
    public async Task WhenAPatternIsInvalidatedAcrossNodesExactlyTheMatchingKeysGoAndAreCounted()
    {
        var cache = CreateCache();
        var foreign = await SeedAsync(cache);
        await AssertOnEveryNodeAsync(NamespacePrefix("acme") + "user:");

        Assert.Equal(600, await cache.InvalidateAsync("user:*", "acme"));
        Assert.Equal(111, cache.Invalidate("order:1*", "acme")); // order:1, order:10..19, order:100..199

        Assert.Equal(0, await CountAsync(NamespacePrefix("acme") + "user:"));
        Assert.Equal(600 - 111, await CountAsync(NamespacePrefix("acme") + "order:"));
        Assert.Equal(300, await CountAsync(NamespacePrefix("other") + "user:"));
        Assert.Equal(100, await CountAsync(NamespacePrefix(null) + "user:"));
        await foreign.AssertUntouchedAsync();
        Assert.Null(await cache.GetAsync<int?>("user:7", "acme"));
        Assert.Equal(7, await cache.GetAsync<int>("user:7", "other"));
        Assert.Equal(7, await cache.GetAsync<int>("order:7", "acme"));
    }

    [Fact]
    public async Task WhenATenantAndThenEverythingIsClearedAcrossNodesOnlyThisCachesKeysGoAndAreCounted()
    {
        var cache = CreateCache();
        var foreign = await SeedAsync(cache);
        await AssertOnEveryNodeAsync(NamespacePrefix("acme"));

        Assert.Equal(1200, await cache.ClearAsync("acme"));

        Assert.Equal(0, await CountAsync(NamespacePrefix("acme")));
        Assert.Equal(300, await CountAsync(NamespacePrefix("other")));
        await foreign.AssertUntouchedAsync();

        Assert.Equal(400, cache.Clear());

        Assert.Equal(0, await CountAsync(KeyPrefix));
        await foreign.AssertUntouchedAsync();
        Assert.Equal(0, (await cache.GetStatsAsync()).Size);
    }

    [Fact]
    public async Task WhenStatsAreReadAcrossNodesSizesAreExactPerTenantAndInTotal()
    {
        var cache = CreateCache();
        var foreign = await SeedAsync(cache);

        var acme = await cache.GetStatsAsync("acme");
        var all = await cache.GetStatsAsync();

        Assert.Equal(1200, acme.Size);
        Assert.Equal(300, (await cache.GetStatsAsync("other")).Size);
        Assert.Equal(1600, all.Size);
        Assert.True(acme.MemoryUsage > 0 && all.MemoryUsage > acme.MemoryUsage, $"Memory: acme {acme.MemoryUsage}, all {all.MemoryUsage}.");

        await cache.InvalidateAsync("user:*", "acme");
        Assert.Equal(600, (await cache.GetStatsAsync("acme")).Size);
        Assert.Equal(1000, (await cache.GetUsageAsync()).Size);
        await foreign.AssertUntouchedAsync();
    }

    [Fact]
    public async Task WhenStatsAreReadEachNodeReportsItsOwnShareAndTheSharesAddUpToTheTotal()
    {
        var cache = CreateCache();
        await SeedAsync(cache);
        var endPoints = Target.Servers.Select(server => server.EndPoint).ToList();

        foreach (var (tenant, prefix, size) in new[] { ("acme", NamespacePrefix("acme"), 1200L), (null, KeyPrefix, 1600L) })
        {
            var stats = await cache.GetStatsAsync(tenant);
            var onServers = await Target.CountPerNodeAsync(prefix);

            Assert.Equal(size, stats.Size);
            Assert.Equal(endPoints.Order(StringComparer.Ordinal), stats.Nodes.Select(node => node.Endpoint).Order(StringComparer.Ordinal));
            foreach (var node in stats.Nodes)
            {
                var index = endPoints.IndexOf(node.Endpoint);
                Assert.True(onServers[index] == node.Size, $"{node} but the server holds {onServers[index]} of the keys (scope {tenant ?? "all"}).");
                Assert.True(node.MemoryUsage > 0, $"{node}: no memory reported for its keys.");
            }

            Assert.Equal(stats.Size, stats.Nodes.Sum(node => node.Size));
            Assert.Equal(stats.MemoryUsage, stats.Nodes.Sum(node => node.MemoryUsage));
        }
    }

    [Fact]
    public async Task WhenManyKeysAreWarmedAcrossNodesGetManyReturnsEveryHitUnderItsKeyAndNothingElse()
    {
        const int Keys = 2_000;
        var cache = CreateCache();
        Assert.Equal(Keys / 2, cache.WarmCache(Numbered("w:", Keys / 2), s_ttl, "batch"));
        Assert.Equal(Keys / 2, await cache.WarmCacheAsync(Numbered("w:", Keys).Skip(Keys / 2), s_ttl, "batch"));
        await AssertOnEveryNodeAsync(NamespacePrefix("batch"));

        // Present and missing keys interleaved, out of order, with duplicates.
        var random = new Random(13);
        var asked = Enumerable.Range(0, Keys + 1_000).Select(i => $"w:{i}").Concat(["w:5", "w:1999", "w:2500"]).OrderBy(_ => random.Next()).ToList();
        var before = await cache.GetStatsAsync("batch");

        var found = await cache.GetManyAsync<int>(asked, "batch");

        Assert.Equal(Keys, found.Count);
        for (var i = 0; i < Keys; i++)
        {
            Assert.Equal(i, found[$"w:{i}"]);
        }

        var after = await cache.GetStatsAsync("batch");
        Assert.Equal(before.Hits + Keys + 2, after.Hits);
        Assert.Equal(before.Misses + 1_000 + 1, after.Misses);
    }

    /// <summary>
    /// Fills <paramref name="cache"/>: tenant acme 600 user: and 600 order: keys, tenant other 300 user: keys, the
    /// global namespace 100 user: keys; and beside it another application's keys (another cache under another
    /// prefix, and plain keys written by a raw client), which nothing may touch.
    /// </summary>
    private async Task<ForeignKeys> SeedAsync(CacheMechanism cache)
    {
        Assert.Equal(600, await cache.WarmCacheAsync(Numbered("user:", 600), s_ttl, "acme"));
        Assert.Equal(600, await cache.WarmCacheAsync(Numbered("order:", 600), s_ttl, "acme"));
        Assert.Equal(300, await cache.WarmCacheAsync(Numbered("user:", 300), s_ttl, "other"));
        Assert.Equal(100, await cache.WarmCacheAsync(Numbered("user:", 100), s_ttl));

        var otherPrefix = $"app2-{Guid.NewGuid():N}:";
        var otherCache = CreateCache(config => config.KeyPrefix = otherPrefix);
        Assert.Equal(300, await otherCache.WarmCacheAsync(Numbered("user:", 300), s_ttl, "acme"));

        // A plain application sharing the servers, with keys that even start like ours would without the prefix.
        var rawPrefix = $"raw-{Guid.NewGuid():N}:";
        for (var i = 0; i < 200; i++)
        {
            await Target.WriteRawAsync($"{rawPrefix}t:4:acme:user:{i}", "x");
        }

        return new ForeignKeys(this, otherPrefix, rawPrefix);
    }

    private sealed record ForeignKeys(CrossNodeOperationsTests Test, string OtherCachePrefix, string RawPrefix)
    {
        public async Task AssertUntouchedAsync()
        {
            Assert.Equal(300, await Test.CountAsync(OtherCachePrefix));
            Assert.Equal(200, await Test.CountAsync(RawPrefix));
        }
    }
}
