using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using StackExchange.Redis;

namespace Motadata.Cache.Benchmarks.Cluster;

/// <summary>
/// <c>InvalidateAsync("session:*")</c> removing 10,000 keys among a tenant's 100,000 (target: under 1 second) on one
/// node, on a three-primary cluster and on three sharded independent nodes (recovery on, the default, everywhere), vs
/// the raw StackExchange.Redis way on the same servers (the baseline): <c>SCAN MATCH</c> of every node at once through
/// <c>IServer.KeysAsync</c>, deleting in batches of 1,000 as pages arrive (split per slot on the cluster). The 10,000
/// keys are written back before every iteration (not timed).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class ScaleOutInvalidateBenchmarks
{
    public const int Keys = 100_000;
    public const int Matching = 10_000;
    private const string Tenant = "tenant-1";
    private static readonly TimeSpan s_ttl = TimeSpan.FromHours(1);

    private LocalServers _servers = null!;
    private CacheMechanism _ours = null!;
    private ConnectionMultiplexer[] _raw = null!;
    private KeyValuePair<string, byte[]>[] _matching = null!;
    private RedisKey[] _rawMatching = null!;
    private byte[] _value = null!;

    [Params(Topology.OneNode, Topology.Cluster3, Topology.Sharded3)]
    public Topology Topology { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _servers = LocalServers.Start(Topology);
        _ours = new CacheMechanism(_servers.Configure(new CacheConfig()));
        _raw = Topology == Topology.Sharded3 ? _servers.ConnectEach() : [_servers.Connect()];
        _value = new byte[64];
        var others = new KeyValuePair<string, byte[]>[Keys - Matching];
        for (var i = 0; i < others.Length; i++)
        {
            others[i] = new($"user:{i}", _value);
        }

        _matching = new KeyValuePair<string, byte[]>[Matching];
        _rawMatching = new RedisKey[Matching];
        for (var i = 0; i < Matching; i++)
        {
            _matching[i] = new($"session:{i}", _value);
            _rawMatching[i] = $"raw:{Tenant}:session:{i}";
        }

        if (await _ours.WarmCacheAsync(others, s_ttl, Tenant) != others.Length)
        {
            throw new InvalidOperationException("The warm did not store every key.");
        }

        var pending = new List<Task>(others.Length);
        for (var i = 0; i < others.Length; i++)
        {
            pending.Add(RawDatabase(i).StringSetAsync($"raw:{Tenant}:{others[i].Key}", _value, s_ttl));
        }

        await Task.WhenAll(pending);
    }

    [IterationSetup]
    public void WriteMatchingKeys()
    {
        if (_ours.WarmCache(_matching, s_ttl, Tenant) != Matching)
        {
            throw new InvalidOperationException("The warm did not store every matching key.");
        }

        var pending = new Task[Matching];
        for (var i = 0; i < Matching; i++)
        {
            pending[i] = RawDatabase(i).StringSetAsync(_rawMatching[i], _value, s_ttl);
        }

        Task.WaitAll(pending);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ours.Dispose();
        foreach (var raw in _raw)
        {
            raw.Dispose();
        }

        _servers.Dispose();
    }

    [Benchmark]
    public async Task<long> InvalidateAsync_Motadata()
    {
        var removed = await _ours.InvalidateAsync("session:*", Tenant);
        return removed == Matching ? removed : throw new InvalidOperationException($"Removed {removed} of {Matching}.");
    }

    [Benchmark(Baseline = true)]
    public async Task<long> ScanAndDelete_StackExchangeRedis()
    {
        var walks = new List<Task<long>>();
        foreach (var raw in _raw)
        {
            foreach (var server in raw.GetServers())
            {
                if (!server.IsReplica)
                {
                    walks.Add(ScanAndDeleteAsync(raw, server));
                }
            }
        }

        var removed = (await Task.WhenAll(walks)).Sum();
        return removed == Matching ? removed : throw new InvalidOperationException($"Removed {removed} of {Matching}.");
    }

    private static async Task<long> ScanAndDeleteAsync(ConnectionMultiplexer raw, IServer server)
    {
        long removed = 0;
        var database = raw.GetDatabase();
        var batch = new List<RedisKey>(1_000);
        await foreach (var key in server.KeysAsync(pattern: $"raw:{Tenant}:session:*", pageSize: 4_096))
        {
            batch.Add(key);
            if (batch.Count == 1_000)
            {
                removed += await DeleteAsync(raw, database, batch);
                batch.Clear();
            }
        }

        return removed + (batch.Count > 0 ? await DeleteAsync(raw, database, batch) : 0);
    }

    private static async Task<long> DeleteAsync(ConnectionMultiplexer raw, IDatabase database, List<RedisKey> keys)
    {
        // On a cluster a multi-key DEL must stay in one slot.
        var deletes = keys.GroupBy(key => raw.HashSlot(key)).Select(group => database.KeyDeleteAsync([.. group]));
        return (await Task.WhenAll(deletes)).Sum();
    }

    private IDatabase RawDatabase(int index) => _raw[index % _raw.Length].GetDatabase();
}
