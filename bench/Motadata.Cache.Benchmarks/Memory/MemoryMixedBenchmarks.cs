using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;

namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>
/// Two threads at once, each running 80% gets and 20% sets over 10,000 keys picked uniformly at random (fixed
/// seed, the same sequence for every cache). The figure is the time per operation (total time over both threads'
/// operations, so lower is better and perfect scaling halves it). Baseline: BitFaster's <c>ConcurrentTLru</c>.
/// </summary>
public class MemoryMixedBenchmarks : MemoryPeerBenchmarks
{
    private const int Threads = 2;
    private const int OperationsPerThread = 100_000;
    private const int Operations = Threads * OperationsPerThread;
    private const int KeyCount = 10_000;

    private MemoryPeers _peers = null!;
    private int[][] _sequences = null!;
    private Action _ours0 = null!, _ours1 = null!, _tlru0 = null!, _tlru1 = null!, _lru0 = null!, _lru1 = null!;
    private Action _memoryCache0 = null!, _memoryCache1 = null!, _fusion0 = null!, _fusion1 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _peers = CreateFilledPeers(capacity: KeyCount * 2, KeyCount);
        var random = new Random(20261124);
        _sequences = new int[Threads][];
        for (var t = 0; t < Threads; t++)
        {
            _sequences[t] = new int[OperationsPerThread];
            for (var i = 0; i < OperationsPerThread; i++)
            {
                _sequences[t][i] = random.Next(KeyCount);
            }
        }

        // Delegates built once, so an invocation allocates only what Parallel.Invoke needs (spread over 200,000 operations).
        _ours0 = () => Ours(_sequences[0]);
        _ours1 = () => Ours(_sequences[1]);
        _tlru0 = () => TLru(_sequences[0]);
        _tlru1 = () => TLru(_sequences[1]);
        _lru0 = () => Lru(_sequences[0]);
        _lru1 = () => Lru(_sequences[1]);
        _memoryCache0 = () => MemoryCache(_sequences[0]);
        _memoryCache1 = () => MemoryCache(_sequences[1]);
        _fusion0 = () => Fusion(_sequences[0]);
        _fusion1 = () => Fusion(_sequences[1]);
    }

    [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory("Mixed2Threads")]
    public void Mixed_Motadata() => Parallel.Invoke(_ours0, _ours1);

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations), BenchmarkCategory("Mixed2Threads")]
    public void Mixed_ConcurrentTLru() => Parallel.Invoke(_tlru0, _tlru1);

    [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory("Mixed2Threads")]
    public void Mixed_ConcurrentLru() => Parallel.Invoke(_lru0, _lru1);

    [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory("Mixed2Threads")]
    public void Mixed_MemoryCache() => Parallel.Invoke(_memoryCache0, _memoryCache1);

    [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory("Mixed2Threads")]
    public void Mixed_FusionCache() => Parallel.Invoke(_fusion0, _fusion1);

    // Every fifth operation is a set (20%), the rest gets.
    private void Ours(int[] sequence)
    {
        var cache = _peers.Ours;
        var keys = _peers.Keys;
        var values = _peers.Values;
        for (var i = 0; i < sequence.Length; i++)
        {
            var k = sequence[i];
            if (i % 5 == 4)
            {
                cache.Set(keys[k], values[k], tenantId: MemoryPeers.Tenant);
            }
            else
            {
                cache.TryGet(keys[k], out BenchValue? _, MemoryPeers.Tenant);
            }
        }
    }

    private void TLru(int[] sequence)
    {
        var cache = _peers.TLru;
        var keys = _peers.PeerKeys;
        var values = _peers.Values;
        for (var i = 0; i < sequence.Length; i++)
        {
            var k = sequence[i];
            if (i % 5 == 4)
            {
                cache.AddOrUpdate(keys[k], values[k]);
            }
            else
            {
                cache.TryGet(keys[k], out _);
            }
        }
    }

    private void Lru(int[] sequence)
    {
        var cache = _peers.Lru;
        var keys = _peers.PeerKeys;
        var values = _peers.Values;
        for (var i = 0; i < sequence.Length; i++)
        {
            var k = sequence[i];
            if (i % 5 == 4)
            {
                cache.AddOrUpdate(keys[k], values[k]);
            }
            else
            {
                cache.TryGet(keys[k], out _);
            }
        }
    }

    private void MemoryCache(int[] sequence)
    {
        var cache = _peers.MemoryCache;
        var options = _peers.MemoryCacheEntry;
        var keys = _peers.PeerKeys;
        var values = _peers.Values;
        for (var i = 0; i < sequence.Length; i++)
        {
            var k = sequence[i];
            if (i % 5 == 4)
            {
                cache.Set(keys[k], values[k], options);
            }
            else
            {
                cache.TryGetValue(keys[k], out BenchValue? _);
            }
        }
    }

    private void Fusion(int[] sequence)
    {
        var cache = _peers.Fusion;
        var options = _peers.FusionEntry;
        var keys = _peers.PeerKeys;
        var values = _peers.Values;
        for (var i = 0; i < sequence.Length; i++)
        {
            var k = sequence[i];
            if (i % 5 == 4)
            {
                cache.Set(keys[k], values[k], options);
            }
            else
            {
                cache.TryGet<BenchValue>(keys[k]);
            }
        }
    }
}
