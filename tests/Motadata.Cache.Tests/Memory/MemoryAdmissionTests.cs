using System.Collections.Concurrent;

namespace Motadata.Cache.Tests.Memory;

/// <summary>W-TinyLFU admission: what is used often survives what is used once, however recent.</summary>
public sealed class MemoryAdmissionTests : MemoryCacheFixture
{
    [Fact]
    public void WhenAOnePassScanOfNewKeysRunsAHotSetThatFitsStaysCached()
    {
        var cache = CreateCache(c => c.MaxSize = 1_000);
        for (var h = 0; h < 200; h++)
        {
            cache.Set($"hot{h}", h, tenantId: "t");
        }

        // Reads mixed with writes, as in real traffic: a write replays the reads recorded before it.
        for (var round = 0; round < 10; round++)
        {
            for (var h = 0; h < 200; h++)
            {
                Assert.True(cache.TryGet<int>($"hot{h}", out _, "t"));
                if (h % 50 == 49)
                {
                    cache.Set($"filler{round}-{h}", h, tenantId: "t");
                }
            }
        }

        // Ten times the cache's size of keys, each written once and never read: an LRU would keep none of the hot set.
        for (var i = 0; i < 10_000; i++)
        {
            cache.Set($"scan{i}", i, tenantId: "t");
            Assert.InRange(cache.GetStats().Size, 0, 1_000);
        }

        var lost = Enumerable.Range(0, 200).Where(h => !cache.TryGet<int>($"hot{h}", out _, "t")).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} hot keys were flushed by the scan, e.g. hot{lost.FirstOrDefault()}");
        Assert.Equal(1_000, cache.GetStats().Size);
        Assert.Equal(200 + 40 + 10_000 - 1_000, cache.GetStats().Evictions);
    }

    [Fact]
    public void WhenKeysUsedOftenAreOlderThanKeysUsedOnceFrequencyDecidesNotRecency()
    {
        var cache = CreateCache(c => c.MaxSize = 100);
        for (var f = 0; f < 10; f++)
        {
            cache.Set($"frequent{f}", f);
            for (var read = 0; read < 5; read++)
            {
                Assert.True(cache.TryGet<int>($"frequent{f}", out _));
            }
        }

        // Ninety keys read once each, all more recent than the frequent ones; then a hundred new keys.
        for (var o = 0; o < 90; o++)
        {
            cache.Set($"once{o}", o);
            Assert.True(cache.TryGet<int>($"once{o}", out _));
        }

        for (var n = 0; n < 100; n++)
        {
            cache.Set($"new{n}", n);
        }

        // An LRU evicts the least recently used first: every frequent key would be gone.
        for (var f = 0; f < 10; f++)
        {
            Assert.True(cache.TryGet<int>($"frequent{f}", out _), $"frequent{f} was evicted in favour of keys used once");
        }

        Assert.Equal(100, cache.GetStats().Size);
        Assert.Equal(100, cache.GetStats().Evictions);
    }

    [Fact]
    public async Task WhenThreadsWriteNewKeysConcurrentlyTheBoundsHoldAtEveryMomentAndExactlyAtTheEnd()
    {
        const int MaxSize = 500;
        const int Writers = 4;
        const int KeysPerWriter = 20_000;
        var cache = CreateCache(c => c.MaxSize = MaxSize);
        var samples = new ConcurrentBag<long>();
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                samples.Add(cache.GetStats().Size);
            }
        });

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            var tenant = w % 2 == 0 ? "even" : (string?)null;
            for (var i = 0; i < KeysPerWriter; i++)
            {
                Assert.True(cache.Set($"w{w}-k{i}", i, tenantId: tenant));
                if (i % 7 == 0)
                {
                    cache.TryGet<int>($"w{w}-k{i / 2}", out _, tenant);
                }
            }
        })).ToArray();
        await Task.WhenAll(writers);
        await done.CancelAsync();
        await sampler;

        Assert.NotEmpty(samples);
        Assert.All(samples, size => Assert.InRange(size, 0, MaxSize));
        var all = cache.GetStats();
        Assert.Equal(MaxSize, all.Size);
        Assert.Equal((Writers * KeysPerWriter) - MaxSize, all.Evictions);
        Assert.Equal(all.Size, cache.GetStats("even").Size + CountPresent(cache, null, Writers, KeysPerWriter));
    }

    [Fact]
    public async Task WhenThreadsWriteUnderAByteBoundMemoryUsageNeverPassesIt()
    {
        const long MaxBytes = 40_000;
        var cache = CreateCache(c => c.MaxMemoryBytes = MaxBytes);
        var samples = new ConcurrentBag<long>();
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                samples.Add(cache.GetStats().MemoryUsage);
            }
        });

        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var random = new Random(w);
            for (var i = 0; i < 10_000; i++)
            {
                // Overwrites that grow and shrink, and new keys, across two tenants.
                var key = $"k{random.Next(400)}";
                Assert.True(cache.Set(key, new string('x', random.Next(0, 300)), tenantId: w % 2 == 0 ? "a" : "b"));
            }
        })).ToArray();
        await Task.WhenAll(writers);
        await done.CancelAsync();
        await sampler;

        Assert.All(samples, bytes => Assert.InRange(bytes, 0, MaxBytes));
        var end = cache.GetStats();
        Assert.InRange(end.MemoryUsage, 1, MaxBytes);
        Assert.Equal(end.MemoryUsage, cache.GetStats("a").MemoryUsage + cache.GetStats("b").MemoryUsage);
        Assert.True(end.Evictions > 0);
    }

    [Fact]
    public void WhenTheOnlyProtectedEntryGrowsPastTheByteBoundAnotherEntryIsEvictedNotTheBoundPassed()
    {
        var cache = CreateCache(c =>
        {
            c.MaxSize = 100;
            c.MaxMemoryBytes = 1_000;
        });
        cache.Set("k", new string('k', 10));
        cache.Set("w1", new string('w', 100));
        Assert.True(cache.TryGet<string>("k", out _));
        cache.Set("w2", new string('w', 100));
        Assert.True(cache.Delete("w1"));

        // k is now alone in the protected segment, probation is empty, and only the window holds another entry.
        Assert.True(cache.Set("k", new string('k', 350)));

        var stats = cache.GetStats();
        Assert.InRange(stats.MemoryUsage, 1, 1_000);
        Assert.Equal(350, cache.Get<string>("k")?.Length);
        Assert.False(cache.TryGet<string>("w2", out _));
        Assert.Equal(1, stats.Evictions);
        Assert.Equal(1, stats.Size);
    }

    private static int CountPresent(CacheMechanism cache, string? tenant, int writers, int keysPerWriter)
    {
        var present = 0;
        for (var w = 1; w < writers; w += 2)
        {
            for (var i = 0; i < keysPerWriter; i++)
            {
                if (cache.TryGet<int>($"w{w}-k{i}", out _, tenant))
                {
                    present++;
                }
            }
        }

        return present;
    }
}
