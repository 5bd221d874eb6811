using Motadata.Cache.Stores.Backends.Dragonfly;
using StackExchange.Redis;

namespace Motadata.Cache.Tests.Infrastructure;

/// <summary>
/// One real three-primary <see cref="RedisCluster"/> per test class (xunit class fixture); tests keep apart by key
/// prefix. <see cref="Connection"/> is a plain cluster-aware client of its own, for reading and writing the servers'
/// bytes behind the cache's back and counting keys per node.
/// </summary>
public sealed class RedisClusterFixture : IAsyncLifetime, IMultiNodeTestTarget
{
    private ConnectionMultiplexer? _connection;
    private RedisCluster? _cluster;

    public RedisCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    /// <summary>A plain cluster client (StackExchange.Redis), outside any cache.</summary>
    public IConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("The cluster has not started.");

    public IReadOnlyList<RedisServer> Servers => Cluster.Nodes;

    /// <summary>A direct client of the cluster (single-key commands are routed to the slot's owner).</summary>
    public IDatabase Raw => Connection.GetDatabase();

    public async Task InitializeAsync()
    {
        _cluster = await RedisCluster.StartAsync();
        _connection = await ConnectAsync(_cluster);
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>A cluster-aware StackExchange.Redis connection to every node of <paramref name="cluster"/>.</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(RedisCluster cluster)
    {
        var options = new ConfigurationOptions { AbortOnConnectFail = false };
        foreach (var endPoint in cluster.EndPoints)
        {
            options.EndPoints.Add(endPoint);
        }

        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>Points <paramref name="config"/> at the cluster (no key prefix: each test sets its own).</summary>
    public void Configure(CacheConfig config)
    {
        config.Backend = CacheBackend.Dragonfly;
        config.DragonflyUrl = Cluster.Url;
    }

    public Task AdvanceTimeAsync(string keyPrefix, TimeSpan by) => ServerClock.AdvanceEveryPrimaryAsync(Connection, keyPrefix, by);

    /// <summary>A key prefix no other test uses.</summary>
    public static string UniquePrefix(string name) => $"{name}-{Guid.NewGuid():N}:";

    /// <summary>The server key the cache uses for (<paramref name="tenantId"/>, <paramref name="key"/>) under <paramref name="keyPrefix"/>.</summary>
    public static string ServerKey(string keyPrefix, string? tenantId, string key, TenantPlacement placement = TenantPlacement.Spread) =>
        DragonflyKeys.NamespacePrefix(keyPrefix, tenantId, placement) + key;

    /// <summary>How many keys starting with <paramref name="prefix"/> each node holds, in <see cref="RedisCluster.Nodes"/> order (SCAN per node).</summary>
    public async Task<long[]> CountPerNodeAsync(string prefix)
    {
        var counts = new long[Cluster.Nodes.Count];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = (await KeysOnNodeAsync(i, prefix)).Count;
        }

        return counts;
    }

    /// <summary>Every key starting with <paramref name="prefix"/> on node <paramref name="index"/> (SCAN, test-side).</summary>
    public async Task<List<string>> KeysOnNodeAsync(int index, string prefix)
    {
        var server = Connection.GetServer(Cluster.Nodes[index].EndPoint);
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: Motadata.Cache.Keys.GlobPattern.Escape(prefix) + "*", pageSize: 1000))
        {
            keys.Add(key!);
        }

        return keys;
    }

    public Task WriteRawAsync(string key, string value) => Raw.StringSetAsync(key, value);

    /// <summary>Every key starting with <paramref name="prefix"/> on every node.</summary>
    public async Task<List<string>> KeysStartingWithAsync(string prefix)
    {
        var keys = new List<string>();
        for (var i = 0; i < Cluster.Nodes.Count; i++)
        {
            keys.AddRange(await KeysOnNodeAsync(i, prefix));
        }

        return keys;
    }
}
