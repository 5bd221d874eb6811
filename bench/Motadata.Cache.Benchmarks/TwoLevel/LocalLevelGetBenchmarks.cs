using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Motadata.Cache.Benchmarks.Dragonfly;
using ZiggyCreatures.Caching.Fusion;

namespace Motadata.Cache.Benchmarks.TwoLevel;

/// <summary>
/// A hit in the local level in front of Dragonfly (issue 14), single-threaded, beside a hit of the memory backend (the
/// baseline; target: at most 1.5x, 0 B), FusionCache's memory-level hit and HybridCache's hit (local level over
/// <c>RedisCache</c>). The server is a local redis-server; none of these hits reaches it.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class LocalLevelGetBenchmarks
{
    private const string Tenant = "tenant-1";
    private const string Key = "key-42";
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    private LocalRedisServer _server = null!;
    private CacheMechanism _memory = null!;
    private CacheMechanism _localLevel = null!;
    private FusionCache _fusion = null!;
    private ServiceProvider _services = null!;
    private HybridCache _hybrid = null!;
    private string _peerKey = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _server = LocalRedisServer.Start();
        var value = new BenchValue(42);
        _memory = new CacheMechanism(new CacheConfig());
        _memory.Set(Key, value, Ttl, Tenant);
        _localLevel = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = _server.Url, EnableLocalLevel = true, KeyPrefix = "ll:" });
        _localLevel.Set(Key, value, Ttl, Tenant);
        for (var i = 0; i < 1_000 && !_localLevel.TryGet(Key, out BenchValue? _, Tenant); i++)
        {
            await Task.Delay(5);
        }

        if (_localLevel.GetStats(Tenant).LocalHits == 0 && !(_localLevel.TryGet(Key, out BenchValue? _, Tenant) && _localLevel.GetStats(Tenant).LocalHits > 0))
        {
            throw new InvalidOperationException("The local level never served the key.");
        }

        _peerKey = $"{Tenant}:{Key}";
        _fusion = new FusionCache(new FusionCacheOptions { DefaultEntryOptions = new FusionCacheEntryOptions { Duration = Ttl } });
        _fusion.Set(_peerKey, value);

        var services = new ServiceCollection();
        services.AddStackExchangeRedisCache(options =>
        {
            options.Configuration = _server.EndPoint;
            options.InstanceName = "hc:";
        });
        services.AddHybridCache();
        _services = services.BuildServiceProvider();
        _hybrid = _services.GetRequiredService<HybridCache>();
        await _hybrid.SetAsync(_peerKey, value);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _localLevel.DisposeAsync();
        await _memory.DisposeAsync();
        _fusion.Dispose();
        await _services.DisposeAsync();
        _server.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Hit")]
    public BenchValue? Hit_MemoryBackend() => _memory.TryGet(Key, out BenchValue? value, Tenant) ? value : null;

    [Benchmark, BenchmarkCategory("Hit")]
    public BenchValue? Hit_LocalLevel() => _localLevel.TryGet(Key, out BenchValue? value, Tenant) ? value : null;

    [Benchmark, BenchmarkCategory("Hit")]
    public BenchValue? Hit_FusionCacheMemoryLevel() => _fusion.TryGet<BenchValue>(_peerKey).GetValueOrDefault(null!);

    [Benchmark, BenchmarkCategory("HitAsync")]
    public ValueTask<BenchValue?> HitAsync_FusionCacheMemoryLevel() => _fusion.GetOrDefaultAsync<BenchValue>(_peerKey);

    [Benchmark(Baseline = true), BenchmarkCategory("HitAsync")]
    public ValueTask<BenchValue?> HitAsync_MemoryBackend() => _memory.GetAsync<BenchValue>(Key, Tenant);

    [Benchmark, BenchmarkCategory("HitAsync")]
    public ValueTask<BenchValue?> HitAsync_LocalLevel() => _localLevel.GetAsync<BenchValue>(Key, Tenant);

    // A hit completes synchronously; the ValueTask is returned for BenchmarkDotNet to consume.
    [Benchmark, BenchmarkCategory("HitAsync")]
    public ValueTask<BenchValue> HitAsync_HybridCache() =>
        _hybrid.GetOrCreateAsync(_peerKey, static _ => ValueTask.FromResult(new BenchValue(-1)));
}
