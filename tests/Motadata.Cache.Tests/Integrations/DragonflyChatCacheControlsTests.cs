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
        var pttl = await PttlAsync(server, await ServerKeyAsync(server, cache, key, tenant));
        Assert.InRange(pttl, 1, (long)ttl.TotalMilliseconds);
    }

    /// <summary>The name the server holds a tenant's key under (the cache's prefix and tenant part in front of it).</summary>
    internal static async Task<string> ServerKeyAsync(Infrastructure.RedisServer server, CacheMechanism cache, string key, string? tenant)
    {
        var pattern = cache.Config.KeyPrefix + "*" + (tenant is null ? string.Empty : tenant + "*") + key;
        var reply = await server.CommandAsync("KEYS", pattern);
        return reply.Split("\r\n").Single(line => line.EndsWith(key, StringComparison.Ordinal) && !line.StartsWith('$') && !line.StartsWith('*'));
    }

    internal static async Task<long> PttlAsync(Infrastructure.RedisServer server, string serverKey) =>
        long.Parse((await server.CommandAsync("PTTL", serverKey)).Trim().TrimStart(':'), CultureInfo.InvariantCulture);
}
