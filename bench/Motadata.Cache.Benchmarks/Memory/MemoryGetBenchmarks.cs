using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;

namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>
/// A lookup of a key that is there (hit) and of one that is not (miss), single-threaded. Baseline: BitFaster's
/// <c>ConcurrentTLru</c>, the peer our hit is measured against (targets, issue 12: within 1.25x of it and under half of
/// MemoryCache with a tenant on every call, within 1.1x of it through the tenant view; a miss within 1.5x of ConcurrentLru).
/// </summary>
public class MemoryGetBenchmarks : MemoryPeerBenchmarks
{
    private const int KeyCount = 1_000;
    private const int HitIndex = 42;

    private MemoryPeers _peers = null!;
    private string _hitKey = null!;
    private string _peerHitKey = null!;
    private string _missKey = null!;
    private string _peerMissKey = null!;

    [GlobalSetup]
    public void Setup()
    {
        _peers = CreateFilledPeers(capacity: 10_000, KeyCount);
        _hitKey = _peers.Keys[HitIndex];
        _peerHitKey = _peers.PeerKeys[HitIndex];
        _missKey = "key-missing";
        _peerMissKey = $"{MemoryPeers.Tenant}:key-missing";
    }

    [Benchmark, BenchmarkCategory("GetHit")]
    public BenchValue? Hit_Motadata() =>
        _peers.Ours.TryGet(_hitKey, out BenchValue? value, MemoryPeers.Tenant) ? value : null;

    [Benchmark, BenchmarkCategory("GetHit")]
    public BenchValue? Hit_MotadataTenantView() =>
        _peers.View.TryGet(_hitKey, out BenchValue? value) ? value : null;

    [Benchmark(Baseline = true), BenchmarkCategory("GetHit")]
    public BenchValue? Hit_ConcurrentTLru() => _peers.TLru.TryGet(_peerHitKey, out var value) ? value : null;

    [Benchmark, BenchmarkCategory("GetHit")]
    public BenchValue? Hit_ConcurrentLru() => _peers.Lru.TryGet(_peerHitKey, out var value) ? value : null;

    [Benchmark, BenchmarkCategory("GetHit")]
    public BenchValue? Hit_ConcurrentLfu() => _peers.Lfu.TryGet(_peerHitKey, out var value) ? value : null;

    [Benchmark, BenchmarkCategory("GetHit")]
    public BenchValue? Hit_MemoryCache() => _peers.MemoryCache.TryGetValue(_peerHitKey, out BenchValue? value) ? value : null;

    [Benchmark, BenchmarkCategory("GetHit")]
    public BenchValue? Hit_FusionCache() => _peers.Fusion.TryGet<BenchValue>(_peerHitKey).GetValueOrDefault(null!);

    [Benchmark, BenchmarkCategory("GetMiss")]
    public BenchValue? Miss_Motadata() =>
        _peers.Ours.TryGet(_missKey, out BenchValue? value, MemoryPeers.Tenant) ? value : null;

    [Benchmark, BenchmarkCategory("GetMiss")]
    public BenchValue? Miss_MotadataTenantView() =>
        _peers.View.TryGet(_missKey, out BenchValue? value) ? value : null;

    [Benchmark(Baseline = true), BenchmarkCategory("GetMiss")]
    public BenchValue? Miss_ConcurrentTLru() => _peers.TLru.TryGet(_peerMissKey, out var value) ? value : null;

    [Benchmark, BenchmarkCategory("GetMiss")]
    public BenchValue? Miss_ConcurrentLru() => _peers.Lru.TryGet(_peerMissKey, out var value) ? value : null;

    [Benchmark, BenchmarkCategory("GetMiss")]
    public BenchValue? Miss_MemoryCache() => _peers.MemoryCache.TryGetValue(_peerMissKey, out BenchValue? value) ? value : null;

    [Benchmark, BenchmarkCategory("GetMiss")]
    public BenchValue? Miss_FusionCache() => _peers.Fusion.TryGet<BenchValue>(_peerMissKey).GetValueOrDefault(null!);
}
