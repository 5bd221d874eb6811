using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using BitFaster.Caching.Lru;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores;
using Motadata.Cache.Stores.Backends.Memory;

namespace Motadata.Cache.Benchmarks.Diagnostics;

/// <summary>
/// <c>-- probe</c>: a quick, noise-resistant breakdown of a memory hit for a shared machine. Each step runs in many
/// short rounds, interleaved with the others, and the fastest round is kept: a round that another process
/// preempted is slower, never faster, so the minimum is close to the unloaded cost. Diagnostics, not the figures
/// of record (those come from BenchmarkDotNet).
/// </summary>
public static class HitPathProbe
{
    private const string Tenant = "tenant-1";
    private const string Key = "key-42";
    private const string PeerKey = "tenant-1:key-42";
    private const int CallsPerRound = 20_000;
    private const int Rounds = 500;

    public static void Run(TextWriter output)
    {
        var config = new CacheConfig { Ttl = TimeSpan.FromHours(1) };
        using var cache = new CacheMechanism(config);
        cache.Set(Key, new BenchValue(1), tenantId: Tenant);
        var statistics = new CacheCounters();
        using var store = new MemoryStore(config, statistics, TimeProvider.System);
        ICacheStore storeInterface = store;
        store.Set(new CacheKey(Tenant, Key), new BenchValue(1), TimeSpan.FromHours(1));
        var counters = statistics.For(Tenant);
        var plain = new ConcurrentDictionary<string, BenchValue>(StringComparer.Ordinal) { [PeerKey] = new BenchValue(1) };
        var tlru = new ConcurrentTLru<string, BenchValue>(10_000, TimeSpan.FromHours(1));
        tlru.AddOrUpdate(PeerKey, new BenchValue(1));
        var lru = new ConcurrentLru<string, BenchValue>(10_000);
        lru.AddOrUpdate(PeerKey, new BenchValue(1));
        using var memoryCache = new Microsoft.Extensions.Caching.Memory.MemoryCache(new Microsoft.Extensions.Caching.Memory.MemoryCacheOptions());
        Microsoft.Extensions.Caching.Memory.CacheExtensions.Set(memoryCache, PeerKey, new BenchValue(1), TimeSpan.FromHours(1));

        var view = cache.ForTenant(Tenant);
        var lfu = new BitFaster.Caching.Lfu.ConcurrentLfu<string, BenchValue>(10_000);
        lfu.AddOrUpdate(PeerKey, new BenchValue(1));
        var newValue = new BenchValue(2);
        var manyKeys = new string[1_000];
        var manyPeerKeys = new string[1_000];
        for (var k = 0; k < manyKeys.Length; k++)
        {
            manyKeys[k] = $"key-{k}";
            manyPeerKeys[k] = $"tenant-1:key-{k}";
            cache.Set(manyKeys[k], new BenchValue(k), tenantId: Tenant);
            tlru.AddOrUpdate(manyPeerKeys[k], new BenchValue(k));
        }

        var steps = new (string Name, Func<int, int> Body)[]
        {
            ("CacheMechanism.TryGet, 1,000 keys in turn", n => { var h = 0; for (var i = 0; i < n; i++) { h += cache.TryGet(manyKeys[i % 1_000], out BenchValue? _, Tenant) ? 1 : 0; } return h; }),
            ("BitFaster ConcurrentTLru, 1,000 keys in turn", n => { var h = 0; for (var i = 0; i < n; i++) { h += tlru.TryGet(manyPeerKeys[i % 1_000], out _) ? 1 : 0; } return h; }),
            ("TenantCache.TryGet (view)", n => { var h = 0; for (var i = 0; i < n; i++) { h += view.TryGet(Key, out BenchValue? _) ? 1 : 0; } return h; }),
            ("CacheMechanism.TryGet miss (tenant)", n => { var h = 0; for (var i = 0; i < n; i++) { h += cache.TryGet("key-missing", out BenchValue? _, Tenant) ? 1 : 0; } return h; }),
            ("CacheMechanism.Set existing (tenant)", n => { var h = 0; for (var i = 0; i < n; i++) { h += cache.Set(Key, newValue, tenantId: Tenant) ? 1 : 0; } return h; }),
            ("TenantCache.Set existing (view)", n => { var h = 0; for (var i = 0; i < n; i++) { h += view.Set(Key, newValue) ? 1 : 0; } return h; }),
            ("BitFaster ConcurrentTLru.AddOrUpdate", n => { for (var i = 0; i < n; i++) { tlru.AddOrUpdate(PeerKey, newValue); } return 0; }),
            ("BitFaster ConcurrentLfu.TryGet", n => { var h = 0; for (var i = 0; i < n; i++) { h += lfu.TryGet(PeerKey, out _) ? 1 : 0; } return h; }),
            ("BitFaster ConcurrentLru.TryGet miss", n => { var h = 0; for (var i = 0; i < n; i++) { h += lru.TryGet("tenant-1:key-missing", out _) ? 1 : 0; } return h; }),
            ("CacheMechanism.TryGet (tenant)", n => { var h = 0; for (var i = 0; i < n; i++) { h += cache.TryGet(Key, out BenchValue? _, Tenant) ? 1 : 0; } return h; }),
            ("MemoryStore.TryGet via ICacheStore", n => { var h = 0; for (var i = 0; i < n; i++) { h += storeInterface.Read<BenchValue>(new CacheKey(Tenant, Key)).Found ? 1 : 0; } return h; }),
            ("MemoryStore.TryGet direct", n => { var h = 0; for (var i = 0; i < n; i++) { h += store.TryGet(new CacheKey(Tenant, Key), out BenchValue? _) ? 1 : 0; } return h; }),
            ("CacheKey.GetHashCode (tenant+key)", n => { var h = 0; for (var i = 0; i < n; i++) { h += new CacheKey(Tenant, Key).GetHashCode(); } return h; }),
            ("string.GetHashCode (key, Marvin)", n => { var h = 0; for (var i = 0; i < n; i++) { h += PeerKey.GetHashCode(); } return h; }),
            ("CacheCounters.For (tenant lookup)", n => { var h = 0; for (var i = 0; i < n; i++) { h += statistics.For(Tenant) is null ? 0 : 1; } return h; }),
            ("StripedCounter.Increment", n => { for (var i = 0; i < n; i++) { counters.Hits.Increment(); } return 0; }),
            ("TimeProvider.System.GetTimestamp", n => { long h = 0; var time = TimeProvider.System; for (var i = 0; i < n; i++) { h += time.GetTimestamp(); } return (int)h; }),
            ("Environment.TickCount64 (coarse)", n => { long h = 0; for (var i = 0; i < n; i++) { h += Environment.TickCount64; } return (int)h; }),
            ("ConcurrentDictionary<string> lookup", n => { var h = 0; for (var i = 0; i < n; i++) { h += plain.TryGetValue(PeerKey, out _) ? 1 : 0; } return h; }),
            ("BitFaster ConcurrentTLru.TryGet", n => { var h = 0; for (var i = 0; i < n; i++) { h += tlru.TryGet(PeerKey, out _) ? 1 : 0; } return h; }),
            ("BitFaster ConcurrentLru.TryGet", n => { var h = 0; for (var i = 0; i < n; i++) { h += lru.TryGet(PeerKey, out _) ? 1 : 0; } return h; }),
            ("MemoryCache.TryGetValue", n => { var h = 0; for (var i = 0; i < n; i++) { h += Microsoft.Extensions.Caching.Memory.CacheExtensions.TryGetValue(memoryCache, PeerKey, out BenchValue? _) ? 1 : 0; } return h; }),
        };

        var best = new double[steps.Length];
        Array.Fill(best, double.MaxValue);
        var sink = 0;
        for (var round = 0; round < Rounds; round++)
        {
            for (var s = 0; s < steps.Length; s++)
            {
                var start = Stopwatch.GetTimestamp();
                sink += steps[s].Body(CallsPerRound);
                var ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / CallsPerRound;
                best[s] = Math.Min(best[s], ns);
            }
        }

        output.WriteLine($"Fastest of {Rounds} rounds of {CallsPerRound:N0} calls (ns per call, loop included):");
        for (var s = 0; s < steps.Length; s++)
        {
            output.WriteLine($"  {steps[s].Name,-40} {best[s],7:F1} ns");
        }

        GC.KeepAlive(sink);
    }
}
