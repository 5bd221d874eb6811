using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BitFaster.Caching.Lfu;
using BitFaster.Caching.Lru;
using Microsoft.Extensions.Caching.Memory;
using ZiggyCreatures.Caching.Fusion;

namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>Which keys a many-key benchmark reads: every key as often, or Zipf(0.9) (a few keys most of the time).</summary>
public enum KeyDistribution
{
    Uniform,
    Zipf,
}

/// <summary>
/// Get-hit over many keys (issue 24): 10,000 or 1,000,000 keys, uniform or Zipf(0.9), 1, 2 or 4 threads, each cache
/// holding every key (capacity = keys, so each get is a hit). Each thread reads its own precomputed sequence of key
/// indices (fixed seeds, the same for every cache); the figure is the wall time per get over all threads, so it is
/// the inverse of throughput (perfect scaling over two cores halves it). Ours passes a tenant id on every call; the
/// peers get the tenant-qualified key. Only the cache under test is built and filled in each case. Baseline:
/// <c>ConcurrentTLru</c>. The one-key case (the same key again and again) is in <see cref="MemoryGetBenchmarks"/>;
/// report it beside these, never alone.
/// </summary>
/// <remarks>
/// Short: `-- --filter '*MemoryManyKeys*' --job short`; one slice: `--filter '*MemoryManyKeys*'` with
/// `--anyCategories` or BenchmarkDotNet's `--params`-free filter on a method name, e.g. `'*MemoryManyKeys*Motadata*'`.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class MemoryManyKeysBenchmarks
{
    /// <summary>Gets per invocation, over all threads.</summary>
    public const int Operations = 1 << 16;

    private ManyKeysWorkload _work = null!;

    [Params(10_000, 1_000_000)]
    public int Keys { get; set; }

    [Params(KeyDistribution.Uniform, KeyDistribution.Zipf)]
    public KeyDistribution Distribution { get; set; }

    [Params(1, 2, 4)]
    public int Threads { get; set; }

    [GlobalSetup(Target = nameof(Motadata))]
    public void SetupOurs() => _work = ManyKeysWorkload.Create(ManyKeysCache.Motadata, Keys, Distribution, Threads);

    [GlobalSetup(Target = nameof(ConcurrentTLru))]
    public void SetupTLru() => _work = ManyKeysWorkload.Create(ManyKeysCache.ConcurrentTLru, Keys, Distribution, Threads);

    [GlobalSetup(Target = nameof(ConcurrentLfu))]
    public void SetupLfu() => _work = ManyKeysWorkload.Create(ManyKeysCache.ConcurrentLfu, Keys, Distribution, Threads);

    [GlobalSetup(Target = nameof(MemoryCache))]
    public void SetupMemoryCache() => _work = ManyKeysWorkload.Create(ManyKeysCache.MemoryCache, Keys, Distribution, Threads);

    [GlobalSetup(Target = nameof(FusionCache))]
    public void SetupFusion() => _work = ManyKeysWorkload.Create(ManyKeysCache.FusionCache, Keys, Distribution, Threads);

    [GlobalCleanup]
    public void Cleanup() => _work.Dispose();

    [Benchmark(OperationsPerInvoke = Operations)]
    public long Motadata() => _work.Run();

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public long ConcurrentTLru() => _work.Run();

    [Benchmark(OperationsPerInvoke = Operations)]
    public long ConcurrentLfu() => _work.Run();

    [Benchmark(OperationsPerInvoke = Operations)]
    public long MemoryCache() => _work.Run();

    [Benchmark(OperationsPerInvoke = Operations)]
    public long FusionCache() => _work.Run();
}

/// <summary>The caches a many-key run compares.</summary>
public enum ManyKeysCache
{
    Motadata,
    ConcurrentTLru,
    ConcurrentLfu,
    MemoryCache,
    FusionCache,
}

/// <summary>
/// One cache filled with every key, and each thread's sequence of key indices: what the many-key benchmarks and the
/// `-- manykeys` report run. <see cref="Run"/> reads <see cref="MemoryManyKeysBenchmarks.Operations"/> keys over all
/// threads (a plain loop per cache, so a get's cost is all that is measured) and returns the number of hits.
/// </summary>
public sealed class ManyKeysWorkload : IDisposable
{
    private const string Tenant = MemoryPeers.Tenant;

    private readonly ManyKeysCache _kind;
    private readonly string[] _keys;
    private readonly int[][] _sequences;
    private readonly ThreadedRunner _runner;
    private CacheMechanism? _ours;
    private ConcurrentTLru<string, BenchValue>? _tlru;
    private ConcurrentLfu<string, BenchValue>? _lfu;
    private MemoryCache? _memoryCache;
    private FusionCache? _fusion;

    private ManyKeysWorkload(ManyKeysCache kind, int keyCount, KeyDistribution distribution, int threads)
    {
        _kind = kind;
        _keys = new string[keyCount];
        var values = new BenchValue[keyCount];
        for (var i = 0; i < keyCount; i++)
        {
            // Ours takes the tenant apart from the key; the peers get the key a caller would build for them.
            _keys[i] = kind == ManyKeysCache.Motadata ? $"key-{i}" : $"{Tenant}:key-{i}";
            values[i] = new BenchValue(i);
        }

        var perThread = MemoryManyKeysBenchmarks.Operations / threads;
        _sequences = new int[threads][];
        for (var t = 0; t < threads; t++)
        {
            _sequences[t] = distribution == KeyDistribution.Zipf
                ? HitRatioRun.ZipfTrace(keyCount, 0.9, perThread, seed: 24 + t)
                : Uniform(keyCount, perThread, seed: 24 + t);

            // A Zipf trace's index 0 is the most frequent key: scatter the ranks over the keys (fixed permutation), so
            // the hot keys are not the first ones inserted (neighbours in memory).
            if (distribution == KeyDistribution.Zipf)
            {
                var scatter = (int)(keyCount * 0.6180339887) | 1;
                for (var i = 0; i < perThread; i++)
                {
                    _sequences[t][i] = (int)((long)_sequences[t][i] * scatter % keyCount);
                }
            }
        }

        Fill(values);
        _runner = new ThreadedRunner(threads, t => Read(_sequences[t]));
    }

    public static ManyKeysWorkload Create(ManyKeysCache kind, int keyCount, KeyDistribution distribution, int threads) =>
        new(kind, keyCount, distribution, threads);

    /// <summary>One invocation: every thread reads its sequence once; the hits over all threads.</summary>
    public long Run() => _runner.Run();

    /// <summary>Our store's read records replayed and dropped so far (zeros for a peer).</summary>
    public (long Replayed, long Dropped) OurReadRecords =>
        _ours is not null && StoreOf(_ours) is { } store ? (store.ReadsReplayed, store.ReadsDropped) : default;

    /// <summary>Our store's window bound and protected segment's size now (for `-- hitloop`'s report).</summary>
    public (int Window, int Protected) OurRegions =>
        _ours is not null && StoreOf(_ours) is { } store ? (store.WindowMaximum, store.ProtectedCount) : default;

    /// <summary>The memory store under a cache (read once by reflection: a report's need, not the API's).</summary>
    internal static Motadata.Cache.Stores.Backends.Memory.MemoryStore? StoreOf(CacheMechanism cache) =>
        typeof(CacheMechanism).GetField("_memoryStore", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)
            ?.GetValue(cache) as Motadata.Cache.Stores.Backends.Memory.MemoryStore;

    public void Dispose()
    {
        _runner.Dispose();
        _ours?.Dispose();
        _memoryCache?.Dispose();
        _fusion?.Dispose();
    }

    private static int[] Uniform(int keyCount, int length, int seed)
    {
        var random = new Random(seed);
        var sequence = new int[length];
        for (var i = 0; i < length; i++)
        {
            sequence[i] = random.Next(keyCount);
        }

        return sequence;
    }

    private void Fill(BenchValue[] values)
    {
        var capacity = _keys.Length;
        var ttl = MemoryPeers.Ttl;
        switch (_kind)
        {
            case ManyKeysCache.Motadata:
                _ours = new CacheMechanism(new CacheConfig { MaxSize = capacity, Ttl = ttl });
                for (var i = 0; i < _keys.Length; i++)
                {
                    _ours.Set(_keys[i], values[i], tenantId: Tenant);
                }

                break;
            case ManyKeysCache.ConcurrentTLru:
                _tlru = new ConcurrentTLru<string, BenchValue>(capacity, ttl);
                for (var i = 0; i < _keys.Length; i++)
                {
                    _tlru.AddOrUpdate(_keys[i], values[i]);
                }

                break;
            case ManyKeysCache.ConcurrentLfu:
                _lfu = new ConcurrentLfu<string, BenchValue>(capacity);
                for (var i = 0; i < _keys.Length; i++)
                {
                    _lfu.AddOrUpdate(_keys[i], values[i]);
                }

                _lfu.DoMaintenance();
                break;
            case ManyKeysCache.MemoryCache:
                _memoryCache = new MemoryCache(new MemoryCacheOptions());
                var entry = new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl };
                for (var i = 0; i < _keys.Length; i++)
                {
                    _memoryCache.Set(_keys[i], values[i], entry);
                }

                break;
            case ManyKeysCache.FusionCache:
                _fusion = new FusionCache(new FusionCacheOptions { DefaultEntryOptions = new FusionCacheEntryOptions { Duration = ttl } });
                for (var i = 0; i < _keys.Length; i++)
                {
                    _fusion.Set(_keys[i], values[i]);
                }

                break;
        }
    }

    private long Read(int[] sequence) => _kind switch
    {
        ManyKeysCache.Motadata => ReadOurs(sequence),
        ManyKeysCache.ConcurrentTLru => ReadTLru(sequence),
        ManyKeysCache.ConcurrentLfu => ReadLfu(sequence),
        ManyKeysCache.MemoryCache => ReadMemoryCache(sequence),
        _ => ReadFusion(sequence),
    };

    private long ReadOurs(int[] sequence)
    {
        var cache = _ours!;
        var keys = _keys;
        long hits = 0;
        foreach (var index in sequence)
        {
            if (cache.TryGet(keys[index], out BenchValue? _, Tenant))
            {
                hits++;
            }
        }

        return hits;
    }

    private long ReadTLru(int[] sequence)
    {
        var cache = _tlru!;
        var keys = _keys;
        long hits = 0;
        foreach (var index in sequence)
        {
            if (cache.TryGet(keys[index], out _))
            {
                hits++;
            }
        }

        return hits;
    }

    private long ReadLfu(int[] sequence)
    {
        var cache = _lfu!;
        var keys = _keys;
        long hits = 0;
        foreach (var index in sequence)
        {
            if (cache.TryGet(keys[index], out _))
            {
                hits++;
            }
        }

        return hits;
    }

    private long ReadMemoryCache(int[] sequence)
    {
        var cache = _memoryCache!;
        var keys = _keys;
        long hits = 0;
        foreach (var index in sequence)
        {
            if (cache.TryGetValue(keys[index], out BenchValue? _))
            {
                hits++;
            }
        }

        return hits;
    }

    private long ReadFusion(int[] sequence)
    {
        var cache = _fusion!;
        var keys = _keys;
        long hits = 0;
        foreach (var index in sequence)
        {
            if (cache.TryGet<BenchValue>(keys[index]).HasValue)
            {
                hits++;
            }
        }

        return hits;
    }
}
