using System.Collections.Concurrent;

namespace Motadata.Cache.Tests.Memory;

/// <summary>
/// Heavy concurrency on the memory store (BitFaster style): several threads mixing reads, writes and deletes over a
/// key space larger than the cache, while a sampler checks the size bound. Counts are exact, not approximate.
/// </summary>
[Collection(SoakTestGroup.Name)]
public sealed class MemoryStoreSoakTests : MemoryCacheFixture
{
    private const int Workers = 4;
    private const int OperationsPerWorker = 50_000;
    private const int KeySpace = 1024;
    private static readonly string?[] s_tenants = [null, "a", "b"];

    [Theory]
    [InlineData(256, false, 1)]
    [InlineData(256, true, 8)]
    [InlineData(10, true, 3)]
    [InlineData(1, false, 1)]
    public async Task WhenThreadsMixGetsSetsAndDeletesCountsAreExactAndSizeStaysBounded(int maxSize, bool sharding, int shards)
    {
        var cache = CreateCache(c =>
        {
            c.MaxSize = maxSize;
            c.EnableSharding = sharding;
            c.ShardCount = shards;
            c.Ttl = Timeout.InfiniteTimeSpan;
        });
        var hits = new long[s_tenants.Length];
        var misses = new long[s_tenants.Length];
        var sizeSamples = new ConcurrentBag<long>();
        using var done = new CancellationTokenSource();

        var sampler = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                sizeSamples.Add(cache.GetStats().Size);
            }
        });
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(() =>
        {
            var random = new Random(1000 + w);
            var localHits = new long[s_tenants.Length];
            var localMisses = new long[s_tenants.Length];
            for (var i = 0; i < OperationsPerWorker; i++)
            {
                var t = random.Next(s_tenants.Length);
                var key = KeyName(random.Next(KeySpace));
                var op = random.Next(100);
                if (op < 60)
                {
                    if (cache.TryGet<string>(key, out var value, s_tenants[t]))
                    {
                        Assert.Equal(key, value);
                        localHits[t]++;
                    }
                    else
                    {
                        localMisses[t]++;
                    }
                }
                else if (op < 90)
                {
                    Assert.True(cache.Set(key, key, tenantId: s_tenants[t]));
                }
                else
                {
                    cache.Delete(key, s_tenants[t]);
                }
            }

            for (var t = 0; t < s_tenants.Length; t++)
            {
                Interlocked.Add(ref hits[t], localHits[t]);
                Interlocked.Add(ref misses[t], localMisses[t]);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        await done.CancelAsync();
        await sampler;

        Assert.NotEmpty(sizeSamples);
        Assert.All(sizeSamples, size => Assert.InRange(size, 0, maxSize));
        var all = cache.GetStats();
        Assert.Equal(hits.Sum(), all.Hits);
        Assert.Equal(misses.Sum(), all.Misses);
        Assert.Equal(hits.Sum() + misses.Sum(), all.Hits + all.Misses);
        Assert.True(all.Evictions > 0);
        for (var t = 0; t < s_tenants.Length; t++)
        {
            if (s_tenants[t] is { } tenant)
            {
                Assert.Equal(hits[t], cache.GetStats(tenant).Hits);
                Assert.Equal(misses[t], cache.GetStats(tenant).Misses);
            }
        }

        AssertSizeAndBytesMatchWhatIsReallyPresent(cache, maxSize);
    }

    [Fact]
    public async Task WhenThreadsRaceExpiryEvictionAndWritesTheAccountingStaysExact()
    {
        const int MaxSize = 128;
        var cache = CreateCache(c =>
        {
            c.MaxSize = MaxSize;
            c.ExpirationScanInterval = TimeSpan.FromSeconds(1);
        });
        var lookups = 0L;
        var hits = 0L;
        using var done = new CancellationTokenSource();

        // One thread moves the clock (firing the background scan); the workers write short and long TTLs.
        var clock = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                Time.Advance(TimeSpan.FromMilliseconds(50));
                Assert.InRange(cache.GetStats().Size, 0, MaxSize);
            }
        });
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(() =>
        {
            var random = new Random(2000 + w);
            for (var i = 0; i < OperationsPerWorker / 2; i++)
            {
                var tenant = s_tenants[random.Next(s_tenants.Length)];
                var key = KeyName(random.Next(512));
                switch (random.Next(10))
                {
                    case < 5:
                        Interlocked.Increment(ref lookups);
                        if (cache.TryGet<string>(key, out _, tenant))
                        {
                            Interlocked.Increment(ref hits);
                        }

                        break;
                    case < 9:
                        cache.Set(key, key, TimeSpan.FromMilliseconds(random.Next(1, 400)), tenant);
                        break;
                    default:
                        cache.Invalidate(key[..^1] + "?", tenant);
                        break;
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        await done.CancelAsync();
        await clock;

        var stats = cache.GetStats();
        Assert.Equal(lookups, stats.Hits + stats.Misses);
        Assert.Equal(hits, stats.Hits);
        Assert.True(stats.Expirations > 0);

        // Let every entry expire and the scan reclaim it: nothing may be left over in the accounting.
        Time.Advance(TimeSpan.FromSeconds(2));
        var end = cache.GetStats();
        Assert.Equal(0, end.Size);
        Assert.Equal(0, end.MemoryUsage);
        foreach (var tenant in s_tenants.OfType<string>())
        {
            Assert.Equal(0, cache.GetStats(tenant).Size);
            Assert.Equal(0, cache.GetStats(tenant).MemoryUsage);
        }
    }

    [Fact]
    public async Task WhenManyCallersRaceGetOrSetOnManyKeysEachFactoryRunsExactlyOnce()
    {
        const int Keys = 3000;
        const int CallersPerKey = 4;
        var cache = CreateCache();
        var runs = new int[Keys];

        for (var round = 0; round < 2; round++)
        {
            var prefix = $"r{round}:";
            Array.Clear(runs);
            var callers = Enumerable.Range(0, Keys * CallersPerKey).Select(i => Task.Run(async () =>
            {
                var key = i / CallersPerKey;
                var value = await cache.GetOrSetAsync(prefix + key, _ =>
                {
                    Interlocked.Increment(ref runs[key]);
                    return ValueTask.FromResult(key);
                });
                Assert.Equal(key, value);
            })).ToArray();
            await Task.WhenAll(callers);

            var twice = Enumerable.Range(0, Keys).Where(k => runs[k] != 1).ToArray();
            Assert.True(twice.Length == 0, $"round {round}: {twice.Length} keys ran their factory other than once, e.g. key {twice.FirstOrDefault()} ran {runs[twice.FirstOrDefault()]} times");
        }

        Assert.Equal(2 * Keys, cache.GetStats().Sets);
    }

    [Fact]
    public async Task WhenAnExpiredEntryIsRewrittenWhileReadersAndTheScanReclaimItTheNewValueIsNeverLost()
    {
        const int Keys = 4;
        var cache = CreateCache(c =>
        {
            c.MaxSize = 10_000;
            c.ExpirationScanInterval = TimeSpan.FromMilliseconds(1);
        });
        using var done = new CancellationTokenSource();
        var lost = new ConcurrentBag<string>();

        // The clock moves on (running the scan every fake millisecond) and readers keep touching expired entries,
        // both of which remove what they find expired, while writers bring those same entries back to life.
        var clock = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                Time.Advance(TimeSpan.FromMilliseconds(1));
            }
        });
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var random = new Random(r);
            while (!done.IsCancellationRequested)
            {
                cache.TryGet<int>($"k{random.Next(Keys)}", out _);
            }
        })).ToArray();
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 50_000; i++)
            {
                var key = $"k{((i * 2) + w) % Keys}";
                cache.Set(key, i, TimeSpan.FromTicks(1));
                cache.Set(key, i, Timeout.InfiniteTimeSpan);
                if (!cache.TryGet<int>(key, out var value) || value != i)
                {
                    lost.Add($"{key}#{i}");
                }

                cache.Set(key, -1, TimeSpan.FromTicks(1));
            }
        })).ToArray();
        await Task.WhenAll(writers);
        await done.CancelAsync();
        await Task.WhenAll(readers);
        await clock;

        Assert.True(lost.IsEmpty, $"{lost.Count} writes were lost, e.g. {lost.FirstOrDefault()}");
    }

    private static string KeyName(int i) => $"key:{i:D4}";

    /// <summary>Size equals the entries a reader really finds, and the byte estimate equals a rebuild of those entries.</summary>
    private void AssertSizeAndBytesMatchWhatIsReallyPresent(CacheMechanism cache, int maxSize)
    {
        var stats = cache.GetStats();
        var perTenant = s_tenants.OfType<string>().ToDictionary(t => t, t => cache.GetStats(t));
        var present = new List<(string? Tenant, string Key)>();
        foreach (var tenant in s_tenants)
        {
            for (var k = 0; k < KeySpace; k++)
            {
                if (cache.TryGet<string>(KeyName(k), out _, tenant))
                {
                    present.Add((tenant, KeyName(k)));
                }
            }
        }

        Assert.InRange(present.Count, 1, maxSize);
        Assert.Equal(present.Count, stats.Size);
        foreach (var (tenant, tenantStats) in perTenant)
        {
            Assert.Equal(present.Count(p => p.Tenant == tenant), tenantStats.Size);
        }

        var rebuilt = CreateCache(c => c.MaxSize = maxSize);
        foreach (var (tenant, key) in present)
        {
            rebuilt.Set(key, key, tenantId: tenant);
        }

        Assert.Equal(rebuilt.GetStats().MemoryUsage, stats.MemoryUsage);
    }
}
