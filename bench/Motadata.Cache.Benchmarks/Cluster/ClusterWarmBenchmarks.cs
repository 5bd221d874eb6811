using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using StackExchange.Redis;

namespace Motadata.Cache.Benchmarks.Cluster;

/// <summary>
/// Writing 100,000 entries of 512 bytes with a one-hour TTL to a three-primary Redis Cluster: our
/// <c>WarmCacheAsync</c> vs raw StackExchange.Redis grouping the keys per hash slot itself and sending each slot's
/// <c>SET</c>s as one pipelined batch, every batch in flight at once (the baseline; target: ours at least 0.9x its
/// throughput), and raw plain pipelined <c>StringSetAsync</c> (the client routes each key). One invocation per
/// iteration: each writes all 100,000.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class ClusterWarmBenchmarks
{
    public const int Entries = 100_000;
    private const string Tenant = "tenant-1";
    private static readonly TimeSpan s_ttl = TimeSpan.FromHours(1);

    private LocalServers _servers = null!;
    private CacheMechanism _ours = null!;
    private ConnectionMultiplexer _raw = null!;
    private IDatabase _rawDatabase = null!;
    private KeyValuePair<string, byte[]>[] _entries = null!;
    private RedisKey[] _rawKeys = null!;
    private byte[] _value = null!;

    [GlobalSetup]
    public void Setup()
    {
        _servers = LocalServers.Start(Topology.Cluster3);
        _ours = new CacheMechanism(_servers.Configure(new CacheConfig { EnableRecovery = false }));
        _raw = _servers.Connect();
        _rawDatabase = _raw.GetDatabase();
        _value = new byte[512];
        new Random(7).NextBytes(_value);
        _entries = new KeyValuePair<string, byte[]>[Entries];
        _rawKeys = new RedisKey[Entries];
        for (var i = 0; i < Entries; i++)
        {
            _entries[i] = new($"key-{i}", _value);
            _rawKeys[i] = $"raw:{Tenant}:key-{i}";
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ours.Dispose();
        _raw.Dispose();
        _servers.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Entries)]
    public async Task<long> WarmCacheAsync_Motadata()
    {
        var stored = await _ours.WarmCacheAsync(_entries, s_ttl, Tenant);
        return stored == Entries ? stored : throw new InvalidOperationException($"Stored {stored} of {Entries}.");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Entries)]
    public async Task<long> PerSlotBatches_StackExchangeRedis()
    {
        var slots = new Dictionary<int, List<RedisKey>>();
        foreach (var key in _rawKeys)
        {
            var slot = _raw.HashSlot(key);
            if (!slots.TryGetValue(slot, out var keys))
            {
                slots.Add(slot, keys = []);
            }

            keys.Add(key);
        }

        var pending = new List<Task<bool>>(Entries);
        foreach (var keys in slots.Values)
        {
            var batch = _rawDatabase.CreateBatch();
            foreach (var key in keys)
            {
                pending.Add(batch.StringSetAsync(key, _value, s_ttl));
            }

            batch.Execute();
        }

        await Task.WhenAll(pending);
        return Entries;
    }

    [Benchmark(OperationsPerInvoke = Entries)]
    public async Task<long> PipelinedStringSetAsync_StackExchangeRedis()
    {
        var pending = new Task<bool>[Entries];
        for (var i = 0; i < Entries; i++)
        {
            pending[i] = _rawDatabase.StringSetAsync(_rawKeys[i], _value, s_ttl);
        }

        await Task.WhenAll(pending);
        return Entries;
    }
}
