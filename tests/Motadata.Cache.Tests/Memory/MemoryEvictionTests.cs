namespace Motadata.Cache.Tests.Memory;

public sealed class MemoryEvictionTests : MemoryCacheFixture
{
    [Fact]
    public void WhenTheCacheIsFullWhatWasReadSurvivesNewKeysAndEvictionsAreCountedExactly()
    {
        // What a user relies on: entries read since they were written survive a stream of new keys; the newest write
        // is always readable; Size stays at MaxSize and every entry that left is counted once. Which of the entries
        // never read go first is the policy's choice (TinyLFU keeps the resident on a tie, so the newcomers used once
        // are turned away at the window's end rather than flushing older ones), not a promise.
        var cache = CreateCache(c => c.MaxSize = 100);
        for (var i = 0; i < 100; i++)
        {
            cache.Set($"k{i}", i);
        }

        for (var i = 0; i < 50; i++)
        {
            Assert.True(cache.TryGet<int>($"k{i}", out _));
        }

        for (var i = 100; i < 150; i++)
        {
            cache.Set($"k{i}", i);
            Assert.True(cache.GetStats().Size <= 100);
            Assert.Equal(i, cache.Get<int>($"k{i}"));
        }

        for (var i = 0; i < 50; i++)
        {
            Assert.True(cache.TryGet<int>($"k{i}", out _), $"k{i} was read and must survive keys never read");
        }

        var others = Enumerable.Range(50, 100).Count(i => cache.TryGet<int>($"k{i}", out var value) && value == i);
        Assert.Equal(50, others);

        var stats = cache.GetStats();
        Assert.Equal(100, stats.Size);
        Assert.Equal(50, stats.Evictions);
    }

    [Fact]
    public void WhenAHotSetIsReadBetweenInsertsItSurvivesAStreamOfColdKeys()
    {
        var cache = CreateCache(c => c.MaxSize = 64);
        for (var h = 0; h < 8; h++)
        {
            cache.Set($"hot{h}", h);
        }

        for (var i = 0; i < 5000; i++)
        {
            cache.Set($"cold{i}", i);
            if (i % 16 == 0)
            {
                for (var h = 0; h < 8; h++)
                {
                    Assert.True(cache.TryGet<int>($"hot{h}", out _), $"hot{h} was evicted after cold{i}");
                }
            }

            Assert.True(cache.GetStats().Size <= 64);
        }

        Assert.Equal(64, cache.GetStats().Size);
        Assert.Equal(8 + 5000 - 64, cache.GetStats().Evictions);
    }

    [Fact]
    public void WhenMaxSizeIsOneEveryNewKeyEvictsTheLast()
    {
        var cache = CreateCache(c => c.MaxSize = 1);

        cache.Set("a", 1);
        cache.Set("b", 2);
        cache.Set("b", 3);

        Assert.False(cache.TryGet<int>("a", out _));
        Assert.Equal(3, cache.Get<int>("b"));
        Assert.Equal(1, cache.GetStats().Size);
        Assert.Equal(1, cache.GetStats().Evictions);
    }

    [Fact]
    public void WhenEntriesAreEvictedEachTenantCountsItsOwnEvictions()
    {
        // Eight writes into five places: three evictions, each counted once, by the tenant whose entry left (which
        // entries leave is the policy's choice; the accounting is exact whatever it chose).
        var cache = CreateCache(c => c.MaxSize = 5);
        for (var i = 0; i < 5; i++)
        {
            cache.Set($"k{i}", i, tenantId: "a");
        }

        for (var i = 0; i < 3; i++)
        {
            cache.Set($"k{i}", i, tenantId: "b");
        }

        var a = cache.GetStats("a");
        var b = cache.GetStats("b");
        Assert.Equal(5, a.Size + b.Size);
        Assert.Equal(5 - a.Size, a.Evictions);
        Assert.Equal(3 - b.Size, b.Evictions);
        Assert.Equal(3, cache.GetStats().Evictions);
        Assert.Equal(0, cache.GetStats().Expirations);
        Assert.Equal(a.Size, Enumerable.Range(0, 5).Count(i => cache.TryGet<int>($"k{i}", out _, tenantId: "a")));
        Assert.Equal(b.Size, Enumerable.Range(0, 3).Count(i => cache.TryGet<int>($"k{i}", out _, tenantId: "b")));
        Assert.True(cache.TryGet<int>("k2", out _, tenantId: "b"), "the newest write is readable");
    }

    [Fact]
    public void WhenMaxMemoryBytesIsSetMemoryUsageNeverExceedsIt()
    {
        const long MaxBytes = 20_000;
        var cache = CreateCache(c => c.MaxMemoryBytes = MaxBytes);

        for (var i = 0; i < 2000; i++)
        {
            Assert.True(cache.Set($"k{i}", new string('x', i % 200), tenantId: i % 2 == 0 ? "a" : null));
            var stats = cache.GetStats();
            Assert.True(stats.MemoryUsage <= MaxBytes, $"MemoryUsage {stats.MemoryUsage} > {MaxBytes} after k{i}");
        }

        var end = cache.GetStats();
        Assert.True(end.Size > 10, $"only {end.Size} entries left");
        Assert.True(end.Evictions > 1000, $"only {end.Evictions} evictions");
        Assert.Equal(2000, end.Size + end.Evictions);
        Assert.Equal("x", cache.Get<string>("k1999")?[..1]);
    }

    [Fact]
    public void WhenAValueIsLargerThanMaxMemoryBytesItIsRefusedAndTheOldValueStays()
    {
        var cache = CreateCache(c => c.MaxMemoryBytes = 2_000);
        cache.Set("key", "small", tenantId: "t");

        Assert.False(cache.Set("key", new string('x', 5_000), tenantId: "t"));
        Assert.False(cache.Set("new", new byte[5_000], tenantId: "t"));

        Assert.Equal("small", cache.Get<string>("key", "t"));
        Assert.False(cache.TryGet<byte[]>("new", out _, "t"));
        var stats = cache.GetStats("t");
        Assert.Equal(2, stats.RejectedValues);
        Assert.Equal(1, stats.Sets);
        Assert.Equal(1, stats.Size);
    }

    [Fact]
    public void WhenAnEntryGrowsPastTheByteBoundOthersAreEvictedToMakeRoom()
    {
        var cache = CreateCache(c => c.MaxMemoryBytes = 4_000);
        for (var i = 0; i < 5; i++)
        {
            cache.Set($"k{i}", new byte[100]);
        }

        var before = cache.GetStats();
        Assert.Equal(0, before.Evictions);

        cache.Set("k4", new byte[3_500]);

        var after = cache.GetStats();
        Assert.True(after.MemoryUsage <= 4_000, $"MemoryUsage {after.MemoryUsage}");
        Assert.True(after.Evictions > 0);
        Assert.Equal(3_500, cache.Get<byte[]>("k4")?.Length);
    }

    [Theory]
    [InlineData(10, 4)]
    [InlineData(7, 3)]
    [InlineData(16, 16)]
    [InlineData(1000, 16)]
    [InlineData(5, 1)]
    public void WhenShardedTheShardBoundsAddUpToMaxSize(int maxSize, int shardCount)
    {
        var cache = CreateCache(c =>
        {
            c.MaxSize = maxSize;
            c.EnableSharding = true;
            c.ShardCount = shardCount;
        });

        for (var i = 0; i < maxSize * 20; i++)
        {
            cache.Set($"key-{i}", i, tenantId: $"t{i % 3}");
            Assert.True(cache.GetStats().Size <= maxSize);
        }

        // Enough keys landed in every shard to fill it: the total is exactly MaxSize, never more, never less.
        var stats = cache.GetStats();
        Assert.Equal(maxSize, stats.Size);
        Assert.Equal((maxSize * 20) - maxSize, stats.Evictions);
        var present = Enumerable.Range(0, maxSize * 20).Count(i => cache.TryGet<int>($"key-{i}", out _, $"t{i % 3}"));
        Assert.Equal(maxSize, present);
    }

    [Fact]
    public void WhenShardedWithAByteBoundTheShardsStayWithinItTogether()
    {
        const long MaxBytes = 50_000;
        var cache = CreateCache(c =>
        {
            c.EnableSharding = true;
            c.ShardCount = 8;
            c.MaxMemoryBytes = MaxBytes;
        });

        for (var i = 0; i < 3000; i++)
        {
            cache.Set($"k{i}", new byte[i % 300]);
            Assert.True(cache.GetStats().MemoryUsage <= MaxBytes);
        }

        Assert.True(cache.GetStats().Size > 50);
    }
}
