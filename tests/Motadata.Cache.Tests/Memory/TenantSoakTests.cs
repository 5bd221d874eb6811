using System.Collections.Concurrent;

namespace Motadata.Cache.Tests.Memory;

/// <summary>
/// Several threads of get, set, delete, invalidate and clear across tenants with quotas, some through tenant views,
/// while a sampler checks every bound. At the end every counter and size must be exact.
/// </summary>
[Collection(SoakTestGroup.Name)]
public sealed class TenantSoakTests : MemoryCacheFixture
{
    private const int MaxSize = 300;
    private const int Quota = 60;
    private const int KeySpace = 200;
    private static readonly string?[] s_tenants = [null, "a", "b", "c", "big"];

    [Fact]
    public async Task WhenThreadsMixEveryOperationAcrossTenantsCountsAndSizesAreExactAndBoundsHold()
    {
        var cache = CreateCache(c =>
        {
            c.MaxSize = MaxSize;
            c.MaxSizePerTenant = Quota;
            c.TenantQuotas["big"] = new TenantQuota { MaxSize = 150 };
            c.Ttl = Timeout.InfiniteTimeSpan;
        });
        var views = s_tenants.Select(t => t is null ? null : cache.ForTenant(t)).ToArray();
        var hits = new long[s_tenants.Length];
        var misses = new long[s_tenants.Length];
        var sets = new long[s_tenants.Length];
        var violations = new ConcurrentBag<string>();
        using var done = new CancellationTokenSource();

        var sampler = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                var size = cache.GetStats().Size;
                if (size > MaxSize)
                {
                    violations.Add($"cache size {size}");
                }

                foreach (var tenant in s_tenants.OfType<string>())
                {
                    var tenantSize = cache.GetStats(tenant).Size;
                    if (tenantSize > (tenant == "big" ? 150 : Quota))
                    {
                        violations.Add($"{tenant} size {tenantSize}");
                    }
                }
            }
        });
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var random = new Random(3000 + w);
            var localHits = new long[s_tenants.Length];
            var localMisses = new long[s_tenants.Length];
            var localSets = new long[s_tenants.Length];
            for (var i = 0; i < 40_000; i++)
            {
                var t = random.Next(s_tenants.Length);
                var tenant = s_tenants[t];
                var view = random.Next(2) == 0 ? views[t] : null;
                var key = $"key:{random.Next(KeySpace):D3}";
                var op = random.Next(1000);
                if (op < 600)
                {
                    var found = view is not null ? view.TryGet<string>(key, out var value) : cache.TryGet(key, out value, tenant);
                    if (found)
                    {
                        Assert.Equal(key, value);
                        localHits[t]++;
                    }
                    else
                    {
                        localMisses[t]++;
                    }
                }
                else if (op < 900)
                {
                    Assert.True(view is not null ? view.Set(key, key) : cache.Set(key, key, tenantId: tenant));
                    localSets[t]++;
                }
                else if (op < 980)
                {
                    cache.Delete(key, tenant);
                }
                else if (op < 998)
                {
                    cache.Invalidate($"key:{random.Next(10)}*", tenant);
                }
                else if (tenant is not null)
                {
                    cache.Clear(tenant);
                }
            }

            for (var t = 0; t < s_tenants.Length; t++)
            {
                Interlocked.Add(ref hits[t], localHits[t]);
                Interlocked.Add(ref misses[t], localMisses[t]);
                Interlocked.Add(ref sets[t], localSets[t]);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        await done.CancelAsync();
        await sampler;

        Assert.True(violations.IsEmpty, $"bounds passed {violations.Count} times, e.g. {violations.FirstOrDefault()}");
        // GetStats(null) is the whole cache; the global namespace's share is what the tenants do not hold.
        var whole = cache.GetStats();
        var before = s_tenants.Select(t => t is null ? null : cache.GetStats(t)).ToArray();
        long tenantSizes = 0, tenantBytes = 0;
        for (var t = 0; t < s_tenants.Length; t++)
        {
            if (before[t] is not { } stats)
            {
                continue;
            }

            Assert.Equal(hits[t], stats.Hits);
            Assert.Equal(misses[t], stats.Misses);
            Assert.Equal(sets[t], stats.Sets);
            Assert.Equal(Present(s_tenants[t]), stats.Size);
            tenantSizes += stats.Size;
            tenantBytes += stats.MemoryUsage;
        }

        Assert.Equal(hits.Sum(), whole.Hits);
        Assert.Equal(misses.Sum(), whole.Misses);
        Assert.Equal(sets.Sum(), whole.Sets);
        Assert.Equal(Present(null), whole.Size - tenantSizes);
        Assert.InRange(whole.MemoryUsage - tenantBytes, 0, whole.MemoryUsage);
        Assert.Equal(whole.Size == tenantSizes, whole.MemoryUsage == tenantBytes);
        Assert.True(before.OfType<CacheStats>().Sum(s => s.QuotaEvictions) > 0);

        int Present(string? tenant) => Enumerable.Range(0, KeySpace).Count(k => cache.TryGet<string>($"key:{k:D3}", out _, tenant));
    }
}
