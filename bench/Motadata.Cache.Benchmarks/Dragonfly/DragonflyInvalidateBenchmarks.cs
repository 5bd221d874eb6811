using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using StackExchange.Redis;

namespace Motadata.Cache.Benchmarks.Dragonfly;

/// <summary>
/// <c>InvalidateAsync("session:*")</c> removing 10,000 keys among a tenant's 100,000 (target: under 1 second) vs the
/// raw StackExchange.Redis way (the baseline): <c>SCAN MATCH</c> through <c>IServer.KeysAsync</c>, deleting in
/// batches of 1,000 as pages arrive. The 10,000 keys are written back before every iteration (not timed).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class DragonflyInvalidateBenchmarks
{
    public const int Keys = 100_000;
    public const int Matching = 10_000;
    private const string Tenant = "tenant-1";
    private static readonly TimeSpan s_ttl = TimeSpan.FromHours(1);

    private LocalRedisServer _server = null!;
    private CacheMechanism _ours = null!;
    private ConnectionMultiplexer _raw = null!;
    private IDatabase _rawDatabase = null!;
    private IServer _rawServer = null!;
    private KeyValuePair<string, byte[]>[] _matching = null!;
    private RedisKey[] _rawMatching = null!;
    private byte[] _value = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _server = LocalRedisServer.Start();
        _ours = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = _server.Url, EnableRecovery = false });
        _raw = _server.Connect();
        _rawDatabase = _raw.GetDatabase();
        _rawServer = _raw.GetServer(_server.EndPoint);
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

        await _ours.WarmCacheAsync(others, s_ttl, Tenant);
        var pending = new List<Task>(others.Length);
        foreach (var pair in others)
        {
            pending.Add(_rawDatabase.StringSetAsync($"raw:{Tenant}:{pair.Key}", _value, s_ttl));
        }

        await Task.WhenAll(pending);
    }

    [IterationSetup]
    public void WriteMatchingKeys()
    {
        _ours.WarmCache(_matching, s_ttl, Tenant);
        var pending = new Task[Matching];
        for (var i = 0; i < Matching; i++)
        {
            pending[i] = _rawDatabase.StringSetAsync(_rawMatching[i], _value, s_ttl);
        }

        Task.WaitAll(pending);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ours.Dispose();
        _raw.Dispose();
        _server.Dispose();
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
        long removed = 0;
        var batch = new List<RedisKey>(1_000);
        await foreach (var key in _rawServer.KeysAsync(pattern: $"raw:{Tenant}:session:*", pageSize: 4_096))
        {
            batch.Add(key);
            if (batch.Count == 1_000)
            {
                removed += await _rawDatabase.KeyDeleteAsync([.. batch]);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            removed += await _rawDatabase.KeyDeleteAsync([.. batch]);
        }

        return removed == Matching ? removed : throw new InvalidOperationException($"Removed {removed} of {Matching}.");
    }
}
