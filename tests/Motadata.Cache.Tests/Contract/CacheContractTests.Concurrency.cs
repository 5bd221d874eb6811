namespace Motadata.Cache.Tests.Contract;

public abstract partial class CacheContractTests
{
    [Fact]
    public async Task WhenManyThreadsLookUpAtOnceHitsAndMissesAreCountedExactly()
    {
        const int Workers = 4;
        const int RoundsPerWorker = 25;
        var cache = CreateCache();
        for (var i = 0; i < 10; i++)
        {
            cache.Set($"k{i}", i, tenantId: "a");
            cache.Set($"k{i}", -i, tenantId: "b");
        }

        // Every round looks up k0..k19 in tenant a (10 hits, 10 misses) and k0..k4 in tenant b (5 hits), sync and async mixed.
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            for (var round = 0; round < RoundsPerWorker; round++)
            {
                for (var i = 0; i < 20; i++)
                {
                    var found = (round + i) % 2 == 0
                        ? cache.TryGet<int>($"k{i}", out var value, "a")
                        : (await cache.GetManyAsync<int>([$"k{i}"], "a")).TryGetValue($"k{i}", out value);
                    Assert.Equal(i < 10, found);
                    if (found)
                    {
                        Assert.Equal(i, value);
                    }
                }

                for (var i = 0; i < 5; i++)
                {
                    Assert.Equal(-i, await cache.GetAsync<int>($"k{i}", "b", 99));
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);

        var a = cache.GetStats("a");
        Assert.Equal(Workers * RoundsPerWorker * 10, a.Hits);
        Assert.Equal(Workers * RoundsPerWorker * 10, a.Misses);
        var b = cache.GetStats("b");
        Assert.Equal(Workers * RoundsPerWorker * 5, b.Hits);
        Assert.Equal(0, b.Misses);
        var all = cache.GetStats();
        Assert.Equal(Workers * RoundsPerWorker * 15, all.Hits);
        Assert.Equal(Workers * RoundsPerWorker * 10, all.Misses);
        Assert.Equal(0.6, all.HitRate, 12);
    }

    [Fact]
    public async Task WhenManyThreadsWriteDistinctKeysEveryEntryIsStoredAndCounted()
    {
        const int Workers = 4;
        const int KeysPerWorker = 100;
        var cache = CreateCache();

        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < KeysPerWorker; i++)
            {
                var stored = i % 2 == 0
                    ? cache.Set($"w{w}:k{i}", i, tenantId: $"t{w % 2}")
                    : await cache.SetAsync($"w{w}:k{i}", i, tenantId: $"t{w % 2}");
                Assert.True(stored);
            }
        })).ToArray();
        await Task.WhenAll(workers);

        Assert.Equal(Workers * KeysPerWorker, (await cache.GetUsageAsync()).Size);
        Assert.Equal(Workers * KeysPerWorker / 2, (await cache.GetUsageAsync("t0")).Size);
        Assert.Equal(Workers * KeysPerWorker, cache.GetStats().Sets);
        for (var w = 0; w < Workers; w++)
        {
            Assert.Equal(KeysPerWorker - 1, cache.Get<int>($"w{w}:k{KeysPerWorker - 1}", $"t{w % 2}"));
        }
    }

    [Fact]
    public async Task WhenThreadsOverwriteOneKeyReadersOnlyEverSeeWrittenValues()
    {
        var cache = CreateCache();
        cache.Set("shared", new Customer(0, "v0", []), tenantId: "t");
        using var stop = new CancellationTokenSource();

        var writers = Enumerable.Range(1, 2).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                await cache.SetAsync("shared", new Customer(i, $"v{i}", []), tenantId: "t");
            }
        })).ToArray();
        var reader = Task.Run(async () =>
        {
            var reads = 0;
            while (!writers.All(w => w.IsCompleted) || reads == 0)
            {
                var value = await cache.GetAsync<Customer>("shared", "t");
                Assert.NotNull(value);
                Assert.Equal($"v{value.Id}", value.Name);
                reads++;
            }

            return reads;
        });
        await Task.WhenAll(writers);
        var reads = await reader;

        Assert.Equal(reads, cache.GetStats("t").Hits);
        Assert.Equal(199, cache.Get<Customer>("shared", "t")?.Id);
        Assert.Equal(1, (await cache.GetUsageAsync("t")).Size);
    }
}
