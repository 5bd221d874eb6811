using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BitFaster.Caching.Lfu;
using BitFaster.Caching.Lru;
using Microsoft.Extensions.Caching.Memory;

namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>What a write benchmark runs on each thread.</summary>
public enum WriteWorkloadKind
{
    /// <summary>90% gets, 10% sets of existing keys (overwrites), 10,000 keys picked uniformly.</summary>
    Mix90,

    /// <summary>Sets of keys not in the cache, under <c>MaxSize</c> pressure (10,000 entries full), four tenants.</summary>
    SetNew,
}

/// <summary>
/// Issue 24's write-path targets, throughput over several threads (the figure is wall time per operation over all
/// threads): 90% reads on 10,000 keys at 2 and 4 threads beside <c>ConcurrentLfu</c> (baseline, default scheduler);
/// sets of new keys under <c>MaxSize</c> pressure, 4 threads over 4 tenants, beside <c>MemoryCache</c> (with a
/// <c>SizeLimit</c> of 10,000 and each entry of size 1, the nearest it has to <c>MaxSize</c>). Short:
/// `-- --filter '*MemoryWrite*' --job short`.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class MemoryWriteBenchmarks
{
    private WriteWorkload _work = null!;

    [Params(2, 4)]
    public int Threads { get; set; }

    [GlobalSetup(Targets = [nameof(Mix90_Motadata)])]
    public void SetupMixOurs() => _work = new WriteWorkload(WriteWorkloadKind.Mix90, ManyKeysCache.Motadata, Threads);

    [GlobalSetup(Targets = [nameof(Mix90_ConcurrentLfu)])]
    public void SetupMixLfu() => _work = new WriteWorkload(WriteWorkloadKind.Mix90, ManyKeysCache.ConcurrentLfu, Threads);

    [GlobalSetup(Targets = [nameof(Mix90_ConcurrentTLru)])]
    public void SetupMixTLru() => _work = new WriteWorkload(WriteWorkloadKind.Mix90, ManyKeysCache.ConcurrentTLru, Threads);

    [GlobalSetup(Targets = [nameof(SetNew_Motadata)])]
    public void SetupSetOurs() => _work = new WriteWorkload(WriteWorkloadKind.SetNew, ManyKeysCache.Motadata, 4);

    [GlobalSetup(Targets = [nameof(SetNew_MemoryCache)])]
    public void SetupSetMemoryCache() => _work = new WriteWorkload(WriteWorkloadKind.SetNew, ManyKeysCache.MemoryCache, 4);

    [GlobalSetup(Targets = [nameof(SetNew_ConcurrentLfu)])]
    public void SetupSetLfu() => _work = new WriteWorkload(WriteWorkloadKind.SetNew, ManyKeysCache.ConcurrentLfu, 4);

    [GlobalCleanup]
    public void Cleanup() => _work.Dispose();

    [Benchmark(OperationsPerInvoke = WriteWorkload.Operations), BenchmarkCategory("Mix90")]
    public long Mix90_Motadata() => _work.Run();

    [Benchmark(Baseline = true, OperationsPerInvoke = WriteWorkload.Operations), BenchmarkCategory("Mix90")]
    public long Mix90_ConcurrentLfu() => _work.Run();

    [Benchmark(OperationsPerInvoke = WriteWorkload.Operations), BenchmarkCategory("Mix90")]
    public long Mix90_ConcurrentTLru() => _work.Run();

    // The set-new case always runs on 4 threads; the Threads parameter only repeats it.
    [Benchmark(OperationsPerInvoke = WriteWorkload.Operations), BenchmarkCategory("SetNew4Threads4Tenants")]
    public long SetNew_Motadata() => _work.Run();

    [Benchmark(Baseline = true, OperationsPerInvoke = WriteWorkload.Operations), BenchmarkCategory("SetNew4Threads4Tenants")]
    public long SetNew_MemoryCache() => _work.Run();

    [Benchmark(OperationsPerInvoke = WriteWorkload.Operations), BenchmarkCategory("SetNew4Threads4Tenants")]
    public long SetNew_ConcurrentLfu() => _work.Run();
}

/// <summary>One cache and each thread's operations for <see cref="MemoryWriteBenchmarks"/> and the `-- manykeys` report.</summary>
public sealed class WriteWorkload : IDisposable
{
    /// <summary>Operations per run, over all threads.</summary>
    public const int Operations = 1 << 16;

    private const int KeyCount = 10_000;
    private static readonly string[] s_tenants = ["tenant-0", "tenant-1", "tenant-2", "tenant-3"];

    private readonly WriteWorkloadKind _kind;
    private readonly ManyKeysCache _cache;
    private readonly string[][] _keys;
    private readonly int[][] _tenantOf;
    private readonly int[][] _sequences;
    private readonly BenchValue[] _values;
    private readonly ThreadedRunner _runner;
    private readonly MemoryCacheEntryOptions _sizedEntry;
    private CacheMechanism? _ours;
    private ConcurrentLfu<string, BenchValue>? _lfu;
    private ConcurrentTLru<string, BenchValue>? _tlru;
    private MemoryCache? _memoryCache;

    public WriteWorkload(WriteWorkloadKind kind, ManyKeysCache cache, int threads)
    {
        _kind = kind;
        _cache = cache;
        var perThread = Operations / threads;
        _values = new BenchValue[KeyCount];
        for (var i = 0; i < KeyCount; i++)
        {
            _values[i] = new BenchValue(i);
        }

        _sizedEntry = new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = MemoryPeers.Ttl, Size = 1 };
        _keys = new string[threads][];
        _tenantOf = new int[threads][];
        _sequences = new int[threads][];
        var ours = cache == ManyKeysCache.Motadata;
        if (kind == WriteWorkloadKind.Mix90)
        {
            // One key space shared by every thread; a sequence of indices per thread; an index's low decimal digit 0 makes a set.
            var shared = new string[KeyCount];
            for (var i = 0; i < KeyCount; i++)
            {
                shared[i] = ours ? $"key-{i}" : $"{MemoryPeers.Tenant}:key-{i}";
            }

            for (var t = 0; t < threads; t++)
            {
                _keys[t] = shared;
                var random = new Random(90 + t);
                _sequences[t] = new int[perThread];
                for (var i = 0; i < perThread; i++)
                {
                    _sequences[t][i] = random.Next(KeyCount);
                }
            }
        }
        else
        {
            // Keys of each thread's own, four tenants in turn; far more than the cache holds, so each set is of a key not in it.
            for (var t = 0; t < threads; t++)
            {
                _keys[t] = new string[perThread];
                _tenantOf[t] = new int[perThread];
                for (var i = 0; i < perThread; i++)
                {
                    var tenant = (t + i) & 3;
                    _tenantOf[t][i] = tenant;
                    _keys[t][i] = ours ? $"w{t}-{i}" : $"{s_tenants[tenant]}:w{t}-{i}";
                }
            }
        }

        Create(kind == WriteWorkloadKind.Mix90 ? _keys[0] : null);
        _runner = new ThreadedRunner(threads, Body);
    }

    public long Run() => _runner.Run();

    public void Dispose()
    {
        _runner.Dispose();
        _ours?.Dispose();
        _memoryCache?.Dispose();
    }

    private void Create(string[]? fillKeys)
    {
        var ttl = MemoryPeers.Ttl;
        switch (_cache)
        {
            case ManyKeysCache.Motadata:
                _ours = new CacheMechanism(new CacheConfig { MaxSize = KeyCount, Ttl = ttl });
                break;
            case ManyKeysCache.ConcurrentLfu:
                _lfu = new ConcurrentLfu<string, BenchValue>(KeyCount);
                break;
            case ManyKeysCache.ConcurrentTLru:
                _tlru = new ConcurrentTLru<string, BenchValue>(KeyCount, ttl);
                break;
            case ManyKeysCache.MemoryCache:
                _memoryCache = new MemoryCache(new MemoryCacheOptions { SizeLimit = KeyCount });
                break;
            default:
                throw new NotSupportedException($"{_cache} has no write workload.");
        }

        if (fillKeys is not null)
        {
            for (var i = 0; i < fillKeys.Length; i++)
            {
                Set(fillKeys[i], 0, _values[i]);
            }
        }
        else
        {
            // Full before the first measured set: every set then evicts.
            for (var i = 0; i < KeyCount; i++)
            {
                Set(_cache == ManyKeysCache.Motadata ? $"fill-{i}" : $"{s_tenants[i & 3]}:fill-{i}", i & 3, _values[i]);
            }
        }
    }

    private long Body(int thread) => _kind == WriteWorkloadKind.Mix90 ? Mix(thread) : SetNew(thread);

    private long Mix(int thread)
    {
        var keys = _keys[thread];
        var sequence = _sequences[thread];
        long hits = 0;
        foreach (var index in sequence)
        {
            if (index % 10 == 0)
            {
                Set(keys[index], 0, _values[index]);
            }
            else if (Get(keys[index]))
            {
                hits++;
            }
        }

        return hits;
    }

    private long SetNew(int thread)
    {
        var keys = _keys[thread];
        var tenants = _tenantOf[thread];
        for (var i = 0; i < keys.Length; i++)
        {
            Set(keys[i], tenants[i], _values[i % KeyCount]);
        }

        return keys.Length;
    }

    private bool Get(string key) => _cache switch
    {
        ManyKeysCache.Motadata => _ours!.TryGet(key, out BenchValue? _, MemoryPeers.Tenant),
        ManyKeysCache.ConcurrentLfu => _lfu!.TryGet(key, out _),
        ManyKeysCache.ConcurrentTLru => _tlru!.TryGet(key, out _),
        _ => _memoryCache!.TryGetValue(key, out BenchValue? _),
    };

    private void Set(string key, int tenant, BenchValue value)
    {
        switch (_cache)
        {
            case ManyKeysCache.Motadata:
                _ours!.Set(key, value, tenantId: _kind == WriteWorkloadKind.Mix90 ? MemoryPeers.Tenant : s_tenants[tenant]);
                break;
            case ManyKeysCache.ConcurrentLfu:
                _lfu!.AddOrUpdate(key, value);
                break;
            case ManyKeysCache.ConcurrentTLru:
                _tlru!.AddOrUpdate(key, value);
                break;
            default:
                _memoryCache!.Set(key, value, _sizedEntry);
                break;
        }
    }
}
