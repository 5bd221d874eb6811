using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Backends.Memory;

namespace Motadata.Cache.Tests.Memory;

/// <summary>Expiry by the timer wheel: each advance of the clock removes exactly what is due, visiting about only that.</summary>
public sealed class TimerWheelTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void EachAdvanceVisitsOnlyTheEntriesDueWithinTheWheelGranularity()
    {
        const int Entries = 100_000;
        using var store = NewStore(Entries);
        var segment = store.Segment("t");

        // TTLs spread over a minute, one entry every 0.6 ms, in a shuffled order.
        var start = _time.GetTimestamp();
        var expiries = new long[Entries];
        var order = Enumerable.Range(0, Entries).ToArray();
        new Random(7).Shuffle(order);
        foreach (var i in order)
        {
            var ttl = TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(TimeSpan.TicksPerMinute * i / Entries);
            Assert.True(store.Set(segment, $"k{i}", i, ttl));
            expiries[i] = start + (ttl.Ticks * _time.TimestampFrequency / TimeSpan.TicksPerSecond);
        }

        Array.Sort(expiries);
        var granularity = store.ExpiryGranularity;
        var previous = _time.GetTimestamp();
        long totalVisited = 0;
        for (var second = 1; second <= 62; second++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            var now = _time.GetTimestamp();
            var visitedBefore = store.ExpiryNodesVisited;
            store.RemoveExpired();
            var visited = store.ExpiryNodesVisited - visitedBefore;
            totalVisited += visited;

            // Exact: everything due is gone, nothing else.
            var due = CountAtOrBefore(expiries, now);
            Assert.Equal(Entries - due, store.GetUsage("t").Size);

            // In proportion: the entries looked at are those due since the last advance, give or take one bucket either side.
            var near = CountAtOrBefore(expiries, now + granularity) - CountAtOrBefore(expiries, previous - granularity);
            Assert.True(visited <= near, $"second {second}: visited {visited}, entries due within a bucket of the advance {near}");
            previous = now;
        }

        Assert.Equal(0, store.GetUsage("t").Size);
        Assert.Equal(Entries, segment.Counters.Expirations);

        // No entry was looked at more than a few times over its life (expired, or passed over in its current bucket).
        Assert.True(totalVisited <= 3L * Entries, $"{totalVisited} visits for {Entries} entries");
    }

    [Fact]
    public void EntriesDueHoursAheadMoveDownTheWheelAndExpireOnTime()
    {
        const int Entries = 20_000;
        using var store = NewStore(Entries);
        var segment = store.Segment("t");
        var start = _time.GetTimestamp();
        var expiries = new long[Entries];
        for (var i = 0; i < Entries; i++)
        {
            // Spread over three hours: every level but the top one holds some.
            var ttl = TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(3 * TimeSpan.TicksPerHour * i / Entries);
            store.Set(segment, $"k{i}", i, ttl);
            expiries[i] = start + (ttl.Ticks * _time.TimestampFrequency / TimeSpan.TicksPerSecond);
        }

        long expected = Entries;
        for (var minute = 1; minute <= 185; minute++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            store.RemoveExpired();
            expected = Entries - CountAtOrBefore(expiries, _time.GetTimestamp());
            Assert.Equal(expected, store.GetUsage("t").Size);
        }

        Assert.Equal(0, expected);

        // Each entry moves down at most a few levels before it expires.
        Assert.True(store.ExpiryNodesVisited <= 6L * Entries, $"{store.ExpiryNodesVisited} visits for {Entries} entries");
    }

    [Fact]
    public void AnOverwriteThatShortensTheTtlIsReclaimedAtTheNewTime()
    {
        using var store = NewStore(100);
        var segment = store.Segment(null);
        store.Set(segment, "shorter", "v", TimeSpan.FromHours(1));
        store.Set(segment, "longer", "v", TimeSpan.FromSeconds(2));
        store.Set(segment, "shorter", "w", TimeSpan.FromSeconds(2));
        store.Set(segment, "longer", "w", TimeSpan.FromHours(1));
        store.Set(segment, "forever", "v", TimeSpan.FromSeconds(2));
        store.Set(segment, "forever", "w", Timeout.InfiniteTimeSpan);

        _time.Advance(TimeSpan.FromSeconds(3));
        store.RemoveExpired();

        Assert.Equal(2, store.GetUsage(null).Size);
        Assert.False(store.TryGet(segment, "shorter", out string? _));
        Assert.True(store.TryGet(segment, "longer", out string? longer));
        Assert.Equal("w", longer);
        Assert.True(store.TryGet(segment, "forever", out string? forever));
        Assert.Equal("w", forever);
        Assert.Equal(1, segment.Counters.Expirations);

        _time.Advance(TimeSpan.FromDays(3));
        store.RemoveExpired();
        Assert.Equal(1, store.GetUsage(null).Size);
        Assert.True(store.TryGet(segment, "forever", out string? _));
    }

    [Fact]
    public void DeletedAndEvictedEntriesLeaveTheWheel()
    {
        using var store = NewStore(10);
        var segment = store.Segment(null);
        for (var i = 0; i < 100; i++)
        {
            store.Set(segment, $"k{i}", i, TimeSpan.FromSeconds(5));
        }

        for (var i = 0; i < 100; i++)
        {
            store.Delete(segment, $"k{i}");
        }

        var visitedBefore = store.ExpiryNodesVisited;
        _time.Advance(TimeSpan.FromSeconds(10));
        store.RemoveExpired();

        // 90 evicted and 10 deleted: nothing left to visit or expire.
        Assert.Equal(0, store.GetUsage(null).Size);
        Assert.Equal(0, segment.Counters.Expirations);
        Assert.Equal(0, store.ExpiryNodesVisited - visitedBefore);
    }

    private static int CountAtOrBefore(long[] sorted, long time)
    {
        var index = Array.BinarySearch(sorted, time);
        if (index < 0)
        {
            return ~index;
        }

        while (index + 1 < sorted.Length && sorted[index + 1] == time)
        {
            index++;
        }

        return index + 1;
    }

    private MemoryStore NewStore(int maxSize) =>
        new(new CacheConfig { MaxSize = maxSize, ExpirationScanInterval = TimeSpan.FromDays(1) }, new CacheCounters(), _time);
}
