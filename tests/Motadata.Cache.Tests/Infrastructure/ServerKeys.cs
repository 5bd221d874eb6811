using System.Globalization;

namespace Motadata.Cache.Tests.Infrastructure;

/// <summary>Where a real server holds a cache's key, and the TTL the server (not the client) gives it.</summary>
public static class ServerKeys
{
    /// <summary>Finds the server key that ends with the tenant's key and checks its PTTL: set, and at most <paramref name="ttl"/>.</summary>
    public static async Task AssertServerTtlAsync(RedisServer server, CacheMechanism cache, string key, string tenant, TimeSpan ttl)
    {
        var pttl = await PttlAsync(server, await ServerKeyAsync(server, cache, key, tenant));
        Assert.InRange(pttl, 1, (long)ttl.TotalMilliseconds);
    }

    /// <summary>The name the server holds a tenant's key under (the cache's prefix and tenant part in front of it).</summary>
    public static async Task<string> ServerKeyAsync(RedisServer server, CacheMechanism cache, string key, string? tenant)
    {
        var pattern = cache.Config.KeyPrefix + "*" + (tenant is null ? string.Empty : tenant + "*") + key;
        var reply = await server.CommandAsync("KEYS", pattern);
        return reply.Split("\r\n").Single(line => line.EndsWith(key, StringComparison.Ordinal) && !line.StartsWith('$') && !line.StartsWith('*'));
    }

    /// <summary>The key's remaining time to live on the server, in milliseconds (-1 none, -2 no key).</summary>
    public static async Task<long> PttlAsync(RedisServer server, string serverKey) =>
        long.Parse((await server.CommandAsync("PTTL", serverKey)).Trim().TrimStart(':'), CultureInfo.InvariantCulture);
}
