using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;

namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>
/// An overwrite of a key that is there with a reference value (target: 0 bytes allocated), single-threaded, with
/// a one-hour TTL for every cache that has TTLs. Baseline: BitFaster's <c>ConcurrentTLru</c>.
/// </summary>
public class MemorySetBenchmarks : MemoryPeerBenchmarks
{
    private const int KeyCount = 1_000;
    private const int Index = 42;

    private MemoryPeers _peers = null!;
    private string _key = null!;
    private string _peerKey = null!;
    private BenchValue _value = null!;

    [GlobalSetup]
    public void Setup()
    {
        _peers = CreateFilledPeers(capacity: 10_000, KeyCount);
        _key = _peers.Keys[Index];
        _peerKey = _peers.PeerKeys[Index];
        _value = new BenchValue(-1);
    }

    [Benchmark, BenchmarkCategory("SetExisting")]
    public bool Set_Motadata() => _peers.Ours.Set(_key, _value, tenantId: MemoryPeers.Tenant);

    [Benchmark, BenchmarkCategory("SetExisting")]
    public bool Set_MotadataTenantView() => _peers.View.Set(_key, _value);

    [Benchmark(Baseline = true), BenchmarkCategory("SetExisting")]
    public bool Set_ConcurrentTLru()
    {
        _peers.TLru.AddOrUpdate(_peerKey, _value);
        return true;
    }

    [Benchmark, BenchmarkCategory("SetExisting")]
    public bool Set_ConcurrentLru()
    {
        _peers.Lru.AddOrUpdate(_peerKey, _value);
        return true;
    }

    [Benchmark, BenchmarkCategory("SetExisting")]
    public bool Set_MemoryCache()
    {
        _peers.MemoryCache.Set(_peerKey, _value, _peers.MemoryCacheEntry);
        return true;
    }

    [Benchmark, BenchmarkCategory("SetExisting")]
    public bool Set_FusionCache()
    {
        _peers.Fusion.Set(_peerKey, _value, _peers.FusionEntry);
        return true;
    }
}
