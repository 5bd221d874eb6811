using BenchmarkDotNet.Attributes;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores;
using Motadata.Cache.Stores.Backends.Memory;

namespace Motadata.Cache.Benchmarks.Diagnostics;

/// <summary>
/// What a memory hit is made of, step by step (internals, through InternalsVisibleTo), to see where the time goes
/// when the hit benchmark misses its target. Baseline: the whole public <c>TryGet</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class HitPathBreakdownBenchmarks
{
    private const string Tenant = "tenant-1";
    private const string Key = "key-42";

    private CacheMechanism _cache = null!;
    private MemoryStore _store = null!;
    private ICacheStore _storeInterface = null!;
    private CacheCounters _statistics = null!;
    private TenantCounters _counters = null!;
    private TimeProvider _time = null!;
    private System.Collections.Concurrent.ConcurrentDictionary<string, BenchValue> _plain = null!;

    [GlobalSetup]
    public void Setup()
    {
        var config = new CacheConfig { Ttl = TimeSpan.FromHours(1) };
        _cache = new CacheMechanism(config);
        _cache.Set(Key, new BenchValue(1), tenantId: Tenant);
        _statistics = new CacheCounters();
        _time = TimeProvider.System;
        _store = new MemoryStore(config, _statistics, _time);
        _storeInterface = _store;
        _store.Set(new CacheKey(Tenant, Key), new BenchValue(1), TimeSpan.FromHours(1));
        _counters = _statistics.For(Tenant);
        _plain = new(StringComparer.Ordinal);
        _plain[Key] = new BenchValue(1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cache.Dispose();
        _store.Dispose();
    }

    [Benchmark(Baseline = true)]
    public bool PublicTryGet() => _cache.TryGet(Key, out BenchValue? _, Tenant);

    [Benchmark]
    public bool StoreTryGetThroughInterface() => _storeInterface.Read<BenchValue>(new CacheKey(Tenant, Key)).Found;

    [Benchmark]
    public bool StoreTryGetDirect() => _store.TryGet(new CacheKey(Tenant, Key), out BenchValue? _);

    [Benchmark]
    public int CacheKeyHash() => new CacheKey(Tenant, Key).GetHashCode();

    [Benchmark]
    public bool TenantLookup() => _statistics.For(Tenant) is not null;

    [Benchmark]
    public long Clock() => _time.GetTimestamp();

    [Benchmark]
    public long CoarseClock() => Environment.TickCount64;

    [Benchmark]
    public int KeyHashOnly() => Key.GetHashCode();

    [Benchmark]
    public bool PlainStringDictionaryLookup() => _plain.TryGetValue(Key, out _);

    [Benchmark]
    public void HitCounter() => _counters.Hits.Increment();
}
