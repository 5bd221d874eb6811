using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.TwoLevel;

/// <summary>
/// The backplane on a three-primary Redis Cluster: sharded pub/sub (<c>SSUBSCRIBE</c>/<c>SPUBLISH</c>), and
/// invalidations of keys that live on every node reach the other instance's local level.
/// </summary>
public sealed class TwoLevelClusterTests : IClassFixture<RedisClusterFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly RedisClusterFixture _fixture;
    private readonly string _prefix = RedisClusterFixture.UniquePrefix("twolevel-cluster");
    private readonly List<CacheMechanism> _caches = [];

    public TwoLevelClusterTests(RedisClusterFixture fixture) => _fixture = fixture;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }
    }

    [Fact]
    public async Task OnAClusterTheBackplaneIsShardedAndDeliversInvalidationsOfKeysOnEveryNode()
    {
        var a = CreateInstance();
        var b = CreateInstance();
        Assert.True(a.LocalLevel!.Backplane.IsSharded);
        Assert.True(b.LocalLevel!.IsServing);

        // Enough keys that every primary holds some (the cluster fixture's own test shows 300 spread over all three).
        const int Keys = 60;
        for (var i = 0; i < Keys; i++)
        {
            Assert.True(a.Set($"user_{i}", "old", tenantId: "t"));
        }

        var counts = await _fixture.CountPerNodeAsync(_prefix);
        Assert.All(counts, count => Assert.True(count > 0, "every node holds some of the keys"));

        // A read may fill B before A's announcement of that key's Set arrives and drops it again: read until every
        // key comes from B's local level.
        await EventuallyAsync(
            () =>
            {
                var before = b.GetStats("t").LocalHits;
                var all = Enumerable.Range(0, Keys).All(i => b.Get<string>($"user_{i}", "t") == "old");
                return all && b.GetStats("t").LocalHits == before + Keys;
            },
            "B serves every key from its local level");

        Assert.True(a.Set("user_0", "new", tenantId: "t"));
        Assert.Equal(Keys, a.Invalidate("user_*", "t"));

        await EventuallyAsync(() => Enumerable.Range(0, Keys).All(i => !b.TryGet<string>($"user_{i}", out _, "t")), "B drops every invalidated key");
        for (var i = 0; i < Keys; i++)
        {
            Assert.False(b.TryGet<string>($"user_{i}", out _, "t"));
        }
    }

    private CacheMechanism CreateInstance()
    {
        var config = new CacheConfig { KeyPrefix = _prefix, EnableLocalLevel = true, EnableRecovery = true, OperationTimeout = TimeSpan.FromSeconds(5) };
        _fixture.Configure(config);
        var cache = new CacheMechanism(config);
        _caches.Add(cache);
        return cache;
    }

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(5);
        }
    }
}
