namespace Motadata.Cache.AI.Tests.Integrations;

public sealed class DragonflyCachingChatClientTests(RedisServerFixture redis) : CachingChatClientTests, IClassFixture<RedisServerFixture>
{
    protected override void ConfigureBackend(CacheConfig config) => redis.Configure(config);
}
