namespace Motadata.Cache.Tests.Integrations;

public sealed class DragonflyHybridCacheTests(RedisServerFixture redis) : HybridCacheTests, IClassFixture<RedisServerFixture>
{
    protected override void ConfigureBackend(CacheConfig config) => redis.Configure(config);
}
