using StackExchange.Redis;

namespace Motadata.Cache.Tests.Infrastructure;

/// <summary>
/// Moves time forward on a real server for the keys of one test, without waiting: every key under a prefix has its
/// TTL shortened by the span, and a key whose TTL that uses up is deleted, as the server would expire it. Tests keep
/// real TTLs long (minutes), so a stalled thread never sees a key expire on its own, and expiry happens only here.
/// </summary>
internal static class ServerClock
{
    public static async Task AdvanceAsync(IConnectionMultiplexer connection, string endPoint, string keyPrefix, TimeSpan by) =>
        await AdvanceAsync(connection, connection.GetServer(endPoint), keyPrefix, by);

    /// <summary>
    /// The same on every primary <paramref name="connection"/> knows: all nodes of a cluster (each key's TTL is changed
    /// through the cluster-routing database, so a key that moved meanwhile is still found).
    /// </summary>
    public static async Task AdvanceEveryPrimaryAsync(IConnectionMultiplexer connection, string keyPrefix, TimeSpan by)
    {
        foreach (var server in connection.GetServers())
        {
            if (!server.IsReplica)
            {
                await AdvanceAsync(connection, server, keyPrefix, by);
            }
        }
    }

    private static async Task AdvanceAsync(IConnectionMultiplexer connection, IServer server, string keyPrefix, TimeSpan by)
    {
        var database = connection.GetDatabase();
        await foreach (var key in server.KeysAsync(pattern: Motadata.Cache.Keys.GlobPattern.Escape(keyPrefix) + "*", pageSize: 1000))
        {
            if (await database.KeyTimeToLiveAsync(key) is not { } ttl)
            {
                continue; // No expiry, or gone already: time does not touch it.
            }

            var remaining = ttl - by;
            if (remaining > TimeSpan.Zero)
            {
                Assert.True(await database.KeyExpireAsync(key, remaining), $"Could not shorten the TTL of {key}.");
            }
            else
            {
                await database.KeyDeleteAsync(key);
            }
        }
    }
}
