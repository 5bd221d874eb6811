using StackExchange.Redis;

namespace Motadata.Cache.Tests.Infrastructure;

/// <summary>
/// Three independent standalone servers (<see cref="RedisNodes"/>) per test class, configured for sharding over
/// independent nodes (<c>EnableSharding</c>, <c>ShardCount</c> = 3, one URL listing all three); one plain client per
/// node, for reading each node's keys behind the cache's back.
/// </summary>
public sealed class RedisNodesFixture : IAsyncLifetime, IMultiNodeTestTarget
{
    private readonly List<ConnectionMultiplexer> _connections = [];
    private RedisNodes? _nodes;

    public RedisNodes Nodes => _nodes ?? throw new InvalidOperationException("The nodes have not started.");

    public IReadOnlyList<RedisServer> Servers => Nodes.Nodes;

    /// <summary>A plain client per node, in <see cref="RedisNodes.Nodes"/> order.</summary>
    public IReadOnlyList<IConnectionMultiplexer> Connections => _connections;

    public async Task InitializeAsync()
    {
        _nodes = await RedisNodes.StartAsync();
        foreach (var node in _nodes.Nodes)
        {
            _connections.Add(await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { node.EndPoint }, AbortOnConnectFail = false }));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        if (_nodes is not null)
        {
            await _nodes.DisposeAsync();
        }
    }

    /// <summary>Points <paramref name="config"/> at the three nodes with sharding on (no key prefix: each test sets its own).</summary>
    public void Configure(CacheConfig config)
    {
        config.Backend = CacheBackend.Dragonfly;
        config.DragonflyUrl = Nodes.Url;
        config.EnableSharding = true;
        config.ShardCount = Nodes.Nodes.Count;
    }

    public async Task AdvanceTimeAsync(string keyPrefix, TimeSpan by)
    {
        for (var i = 0; i < _connections.Count; i++)
        {
            await ServerClock.AdvanceAsync(_connections[i], Nodes.Nodes[i].EndPoint, keyPrefix, by);
        }
    }

    /// <summary>Writes <paramref name="key"/> to the node a simple hash of it picks (not the cache's placement: another application's).</summary>
    public Task WriteRawAsync(string key, string value)
    {
        var node = (int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_connections.Count);
        return _connections[node].GetDatabase().StringSetAsync(key, value);
    }

    /// <summary>How many keys starting with <paramref name="prefix"/> each node holds, in <see cref="RedisNodes.Nodes"/> order.</summary>
    public async Task<long[]> CountPerNodeAsync(string prefix)
    {
        var counts = new long[_connections.Count];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = (await KeysOnNodeAsync(i, prefix)).Count;
        }

        return counts;
    }

    /// <summary>Every key starting with <paramref name="prefix"/> on node <paramref name="index"/> (SCAN, test-side).</summary>
    public async Task<List<string>> KeysOnNodeAsync(int index, string prefix)
    {
        var server = _connections[index].GetServer(Nodes.Nodes[index].EndPoint);
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: Motadata.Cache.Keys.GlobPattern.Escape(prefix) + "*", pageSize: 1000))
        {
            keys.Add(key!);
        }

        return keys;
    }
}
