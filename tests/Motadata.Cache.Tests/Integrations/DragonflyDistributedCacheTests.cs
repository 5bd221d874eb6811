namespace Motadata.Cache.Tests.Integrations;

/// <summary>The distributed-cache semantics on the Dragonfly backend (a real redis-server), in real time.</summary>
public sealed class DragonflyDistributedCacheTests(RedisServerFixture redis) : DistributedCacheTests, IClassFixture<RedisServerFixture>
{
    protected override void ConfigureBackend(CacheConfig config) => redis.Configure(config);

    protected override Task AdvanceTimeAsync(TimeSpan by) => Task.Delay(by);
}
