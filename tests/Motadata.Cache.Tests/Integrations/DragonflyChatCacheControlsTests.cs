using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace Motadata.Cache.Tests.Integrations;

public sealed class DragonflyChatCacheControlsTests(RedisServerFixture redis) : ChatCacheControlsTests, IClassFixture<RedisServerFixture>
{
    protected override void ConfigureBackend(CacheConfig config) => redis.Configure(config);

    protected override async Task AssertExpiresWithinAsync(CacheMechanism cache, FakeTimeProvider clock, string key, string tenant, TimeSpan ttl) =>
        await AssertServerTtlAsync(redis.Server, cache, key, tenant, ttl);

    /// <summary>Finds the server key that ends with the tenant's key and checks its PTTL: set, and at most <paramref name="ttl"/>.</summary>
    internal static async Task AssertServerTtlAsync(Infrastructure.RedisServer server, CacheMechanism cache, string key, string tenant, TimeSpan ttl)
    {
        var pattern = cache.Config.KeyPrefix + "*" + tenant + "*" + key;
        var reply = await server.CommandAsync("KEYS", pattern);
        var serverKey = reply.Split("\r\n").Single(line => line.EndsWith(key, StringComparison.Ordinal) && !line.StartsWith('$'));
        var pttl = long.Parse((await server.CommandAsync("PTTL", serverKey)).Trim().TrimStart(':'), CultureInfo.InvariantCulture);
        Assert.InRange(pttl, 1, (long)ttl.TotalMilliseconds);
    }
}
