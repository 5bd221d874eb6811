namespace Motadata.Cache.Tests.Memory;

public sealed class MemoryExpirationTests : MemoryCacheFixture
{
    [Fact]
    public void WhenTheScanIntervalPassesExpiredEntriesAreReclaimedWithoutBeingRead()
    {
        var cache = CreateCache(c => c.ExpirationScanInterval = TimeSpan.FromSeconds(10));
        for (var i = 0; i < 10; i++)
        {
            cache.Set($"short{i}", i, TimeSpan.FromSeconds(1), "a");
        }

        for (var i = 0; i < 4; i++)
        {
            cache.Set($"short{i}", i, TimeSpan.FromSeconds(1), "b");
            cache.Set($"long{i}", i, TimeSpan.FromHours(1), "b");
        }

        Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(18, cache.GetStats().Size);
        Assert.Equal(0, cache.GetStats().Expirations);

        Time.Advance(TimeSpan.FromSeconds(8));

        var all = cache.GetStats();
        Assert.Equal(4, all.Size);
        Assert.Equal(14, all.Expirations);
        Assert.Equal(0, all.Misses);
        Assert.Equal(10, cache.GetStats("a").Expirations);
        Assert.Equal(0, cache.GetStats("a").Size);
        Assert.Equal(0, cache.GetStats("a").MemoryUsage);
        Assert.Equal(4, cache.GetStats("b").Expirations);
        Assert.Equal(4, cache.GetStats("b").Size);
        Assert.Equal(0, all.Evictions);
    }

    [Fact]
    public void WhenTheScanRunsAgainLaterEntriesThatExpiredSinceAreReclaimedToo()
    {
        var cache = CreateCache(c => c.ExpirationScanInterval = TimeSpan.FromSeconds(5));
        cache.Set("first", 1, TimeSpan.FromSeconds(3));
        cache.Set("second", 2, TimeSpan.FromSeconds(8));

        Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, cache.GetStats().Size);
        Time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(0, cache.GetStats().Size);
        Assert.Equal(2, cache.GetStats().Expirations);
    }

    [Fact]
    public void WhenAnExpiredEntryIsReadItIsRemovedAndCountedOnce()
    {
        var cache = CreateCache(c => c.ExpirationScanInterval = TimeSpan.FromHours(1));
        cache.Set("k", 1, TimeSpan.FromSeconds(1), "t");

        Time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(cache.TryGet<int>("k", out _, "t"));
        Assert.False(cache.TryGet<int>("k", out _, "t"));
        var stats = cache.GetStats("t");
        Assert.Equal(0, stats.Size);
        Assert.Equal(1, stats.Expirations);
        Assert.Equal(2, stats.Misses);
    }

    [Fact]
    public void WhenTtlIsInfiniteTheEntryOutlivesADecade()
    {
        // A fake clock fires a periodic timer once per period it passes: keep the scan rare so a decade is a few thousand scans.
        var cache = CreateCache(c =>
        {
            c.Ttl = TimeSpan.FromDays(1);
            c.ExpirationScanInterval = TimeSpan.FromDays(1);
        });
        cache.Set("forever", "v", Timeout.InfiniteTimeSpan);
        cache.Set("day", "v");
        cache.Set("centuries", "v", TimeSpan.FromDays(365 * 300));

        Time.Advance(TimeSpan.FromDays(365 * 10));

        Assert.Equal("v", cache.Get<string>("forever"));
        Assert.Equal("v", cache.Get<string>("centuries"));
        Assert.False(cache.TryGet<string>("day", out _));
    }

    [Fact]
    public void WhenTtlIsJustPastTheEntryIsGoneAndJustBeforeItIsThere()
    {
        var cache = CreateCache();
        cache.Set("k", 1, TimeSpan.FromMilliseconds(100));

        Time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.True(cache.TryGet<int>("k", out _));
        Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(cache.TryGet<int>("k", out _));
    }

    [Fact]
    public void WhenAnExpiredEntryIsOverwrittenItLivesAgainWithTheNewTtl()
    {
        var cache = CreateCache(c => c.ExpirationScanInterval = TimeSpan.FromHours(1));
        cache.Set("k", 1, TimeSpan.FromSeconds(1));
        Time.Advance(TimeSpan.FromSeconds(2));

        cache.Set("k", 2, TimeSpan.FromSeconds(10));
        Time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(2, cache.Get<int>("k"));
        Assert.Equal(1, cache.GetStats().Size);
    }
}
