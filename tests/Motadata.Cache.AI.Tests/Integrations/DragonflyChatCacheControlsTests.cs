using Microsoft.Extensions.Time.Testing;

namespace Motadata.Cache.AI.Tests.Integrations;

public sealed class DragonflyChatCacheControlsTests(RedisServerFixture redis) : ChatCacheControlsTests, IClassFixture<RedisServerFixture>
{
    protected override void ConfigureBackend(CacheConfig config) => redis.Configure(config);

    protected override async Task AssertExpiresWithinAsync(CacheMechanism cache, FakeTimeProvider clock, string key, string tenant, TimeSpan ttl) =>
        await ServerKeys.AssertServerTtlAsync(redis.Server, cache, key, tenant, ttl);
}
