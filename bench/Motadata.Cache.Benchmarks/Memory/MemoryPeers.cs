using BitFaster.Caching.Lfu;
using BitFaster.Caching.Lru;
using Microsoft.Extensions.Caching.Memory;
using ZiggyCreatures.Caching.Fusion;

namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>
/// Our memory cache and its peers, built alike: the same capacity, a one-hour TTL where the cache has one, the same
/// keys. Our calls pass a tenant id; the peers, which have no tenants, get the tenant-qualified key a caller would
/// build for them (precomputed, so no benchmark pays for string concatenation).
/// </summary>
public sealed class MemoryPeers : IDisposable
{
    public const string Tenant = "tenant-1";
    public static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    public MemoryPeers(int capacity, int keyCount)
    {
        Keys = new string[keyCount];
        PeerKeys = new string[keyCount];
        Values = new BenchValue[keyCount];
        for (var i = 0; i < keyCount; i++)
        {
            Keys[i] = $"key-{i}";
            PeerKeys[i] = $"{Tenant}:key-{i}";
            Values[i] = new BenchValue(i);
        }

        Ours = new CacheMechanism(new CacheConfig { MaxSize = capacity, Ttl = Ttl });
        View = Ours.ForTenant(Tenant);
        Lru = new ConcurrentLru<string, BenchValue>(capacity);
        Lfu = new ConcurrentLfu<string, BenchValue>(capacity);
        TLru = new ConcurrentTLru<string, BenchValue>(capacity, Ttl);
        MemoryCache = new MemoryCache(new MemoryCacheOptions());
        MemoryCacheEntry = new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = Ttl };
        Fusion = new FusionCache(new FusionCacheOptions { DefaultEntryOptions = new FusionCacheEntryOptions { Duration = Ttl } });
        FusionEntry = new FusionCacheEntryOptions { Duration = Ttl };
    }

    /// <summary>Our keys (the tenant is passed separately).</summary>
    public string[] Keys { get; }

    /// <summary>The peers' keys: <c>tenant-1:key-N</c>.</summary>
    public string[] PeerKeys { get; }

    public BenchValue[] Values { get; }

    public CacheMechanism Ours { get; }

    /// <summary>Our cache bound to <see cref="Tenant"/> (<see cref="CacheMechanism.ForTenant"/>).</summary>
    public TenantCache View { get; }

    public ConcurrentLru<string, BenchValue> Lru { get; }

    public ConcurrentLfu<string, BenchValue> Lfu { get; }

    public ConcurrentTLru<string, BenchValue> TLru { get; }

    public MemoryCache MemoryCache { get; }

    public MemoryCacheEntryOptions MemoryCacheEntry { get; }

    public FusionCache Fusion { get; }

    public FusionCacheEntryOptions FusionEntry { get; }

    /// <summary>Stores every key in every cache.</summary>
    public void Fill()
    {
        for (var i = 0; i < Keys.Length; i++)
        {
            Ours.Set(Keys[i], Values[i], tenantId: Tenant);
            Lru.AddOrUpdate(PeerKeys[i], Values[i]);
            Lfu.AddOrUpdate(PeerKeys[i], Values[i]);
            TLru.AddOrUpdate(PeerKeys[i], Values[i]);
            MemoryCache.Set(PeerKeys[i], Values[i], MemoryCacheEntry);
            Fusion.Set(PeerKeys[i], Values[i], FusionEntry);
        }
    }

    public void Dispose()
    {
        Ours.Dispose();
        MemoryCache.Dispose();
        Fusion.Dispose();
    }
}
