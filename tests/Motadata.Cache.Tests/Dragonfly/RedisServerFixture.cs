using Motadata.Cache.Stores.Backends.Dragonfly;
using Motadata.Cache.Tests.Infrastructure;
using StackExchange.Redis;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// One real <c>redis-server</c> per test class (xunit class fixture); tests keep apart by key prefix. <see cref="Raw"/>
/// is a plain client of its own, for reading and writing the server's bytes behind the cache's back.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime, IDragonflyTestTarget
{
    private ConnectionMultiplexer? _raw;

    public RedisServer Server { get; private set; } = null!;

    /// <summary>The plain client's connection, for <see cref="ServerClock"/>.</summary>
    public IConnectionMultiplexer Connection => _raw!;

    /// <summary>A direct client of the server, outside any cache.</summary>
    public IDatabase Raw => _raw!.GetDatabase();

    public async Task InitializeAsync()
    {
        Server = await RedisServer.StartAsync();
        _raw = await ConnectionMultiplexer.ConnectAsync(Server.EndPoint);
    }

    public async Task DisposeAsync()
    {
        if (_raw is not null)
        {
            await _raw.DisposeAsync();
        }

        await Server.DisposeAsync();
    }

    /// <summary>Points <paramref name="config"/> at the server (no key prefix: each test sets its own).</summary>
    public void Configure(CacheConfig config)
    {
        config.Backend = CacheBackend.Dragonfly;
        config.DragonflyUrl = Server.Url;
    }

    public Task AdvanceTimeAsync(string keyPrefix, TimeSpan by) => ServerClock.AdvanceAsync(Connection, Server.EndPoint, keyPrefix, by);

    /// <summary>A key prefix no other test uses, so tests sharing this server never see each other's keys.</summary>
    public static string UniquePrefix(string name) => $"{name}-{Guid.NewGuid():N}:";

    /// <summary>The server key the cache uses for (<paramref name="tenantId"/>, <paramref name="key"/>) under <paramref name="keyPrefix"/>.</summary>
    public static string ServerKey(string keyPrefix, string? tenantId, string key, TenantPlacement placement = TenantPlacement.Spread) =>
        DragonflyKeys.NamespacePrefix(keyPrefix, tenantId, placement) + key;

    /// <summary>Every key on the server whose name starts with <paramref name="prefix"/> (SCAN, test-side).</summary>
    public async Task<List<string>> KeysStartingWithAsync(string prefix)
    {
        var server = _raw!.GetServer(Server.EndPoint);
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: Motadata.Cache.Keys.GlobPattern.Escape(prefix) + "*", pageSize: 1000))
        {
            keys.Add(key!);
        }

        return keys;
    }
}
