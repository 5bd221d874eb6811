using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using StackExchange.Redis;

namespace Motadata.Cache.Benchmarks.Dragonfly;

/// <summary>
/// Writing 100,000 entries of 512 bytes with a one-hour TTL: our <c>WarmCacheAsync</c> vs raw StackExchange.Redis
/// <c>StringSetAsync</c> pipelined (every write issued, then awaited together; the baseline). Target: ours at least
/// 0.8x the raw throughput (a time ratio of at most 1.25). One invocation per iteration: each writes all 100,000.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class DragonflyWarmBenchmarks
{
    public const int Entries = 100_000;
    private const string Tenant = "tenant-1";
    private static readonly TimeSpan s_ttl = TimeSpan.FromHours(1);

    private LocalRedisServer _server = null!;
    private CacheMechanism _ours = null!;
    private ConnectionMultiplexer _raw = null!;
    private IDatabase _rawDatabase = null!;
    private KeyValuePair<string, byte[]>[] _entries = null!;
    private RedisKey[] _rawKeys = null!;
    private byte[] _value = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = LocalRedisServer.Start();
        _ours = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = _server.Url, EnableRecovery = false });
        _raw = _server.Connect();
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
        _server.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Entries)]
    public async Task<long> WarmCacheAsync_Motadata()
    {
        var stored = await _ours.WarmCacheAsync(_entries, s_ttl, Tenant);
        return stored == Entries ? stored : throw new InvalidOperationException($"Stored {stored} of {Entries}.");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Entries)]
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
