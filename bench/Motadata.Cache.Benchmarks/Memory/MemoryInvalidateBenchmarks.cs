using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>
/// <c>Invalidate("hot_*", tenant)</c> removing 10,000 of the tenant's 100,000 entries, while other tenants hold
/// <see cref="Others"/> entries between them (issue 12: the cost should follow the tenant's size, not the cache's).
/// Each invocation removes the hot keys; the iteration setup puts them back. Ours only: no peer has tenants.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class MemoryInvalidateBenchmarks
{
    private const string Tenant = "tenant-hot";
    private const int TenantEntries = 100_000;
    private const int HotEntries = 10_000;
    private const int OtherTenants = 10;

    private CacheMechanism _cache = null!;
    private KeyValuePair<string, string>[] _hot = null!;

    /// <summary>Entries held by the other tenants, together.</summary>
    [Params(0, 1_000_000)]
    public int Others { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _cache = new CacheMechanism(new CacheConfig { MaxSize = TenantEntries + Others + 1, Ttl = Timeout.InfiniteTimeSpan });
        _hot = new KeyValuePair<string, string>[HotEntries];
        for (var i = 0; i < TenantEntries; i++)
        {
            var key = i < HotEntries ? $"hot_{i}" : $"cold_{i}";
            _cache.Set(key, "value-of-16-byte", tenantId: Tenant);
            if (i < HotEntries)
            {
                _hot[i] = new(key, "value-of-16-byte");
            }
        }

        for (var i = 0; i < Others; i++)
        {
            _cache.Set($"hot_{i}", "value-of-16-byte", tenantId: $"other-{i % OtherTenants}");
        }
    }

    [IterationSetup]
    public void PutHotKeysBack() => _cache.WarmCache(_hot, tenantId: Tenant);

    [Benchmark]
    public long Invalidate() => _cache.Invalidate("hot_*", Tenant);

    [GlobalCleanup]
    public void Cleanup() => _cache.Dispose();
}
