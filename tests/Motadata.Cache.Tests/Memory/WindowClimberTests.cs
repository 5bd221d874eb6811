using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Backends.Memory;

namespace Motadata.Cache.Tests.Memory;

/// <summary>The adaptive admission window: the hill climber's rule, and the window it gives the store on recency- and frequency-shaped streams.</summary>
public sealed class WindowClimberTests
{
    private const int Capacity = 500;

    [Fact]
    public void TheClimberKeepsItsDirectionWhileTheHitRateRisesTurnsWhenItFallsAndRestartsOnALargeChange()
    {
        var climber = new WindowClimber(capacity: 1_000, sampleSize: 100);

        // Nothing moves before a sample is complete.
        climber.RecordHits(99);
        Assert.Equal(0, climber.Adjust());

        // First sample (hit rate 0.5, up from 0): Caffeine's first move, a shrink of 6.25% of the capacity.
        climber.RecordMiss();
        Assert.Equal(-62, Sample(climber, hits: 50));

        // The hit rate fell: turn round, full step (a change of 5 points or more restarts the step).
        Assert.Equal(62, Sample(climber, hits: 40));

        // Small rises: same direction, the step decays by 2% a sample.
        Assert.Equal(62, Sample(climber, hits: 41));
        Assert.Equal(61, Sample(climber, hits: 42));
        Assert.Equal(60, Sample(climber, hits: 43));

        // A small fall turns round with the decayed step.
        Assert.Equal(-58, Sample(climber, hits: 42));
        Assert.Equal(0.42, climber.PreviousHitRate, 3);
    }

    [Fact]
    public void TheRecencyCheckGrowsTheWindowOnlyWhenAnLruWouldHaveWonSignificantlyMore()
    {
        // Capacity 1,000 is followed whole (no sampling), so each observed request counts; a check is 1,000 requests.
        var climber = new WindowClimber(capacity: 1_000, sampleSize: int.MaxValue);
        Assert.Equal(1_000, climber.CheckPeriod);

        // Keys used twice, 100 requests apart, which the cache missed both times: the LRU hits every second use.
        Assert.Equal(250, Period(climber, (request, key) => (request % 2 == 0 ? key : key - 50, false)));

        // The same stream, but the cache hit the second uses too: nothing to learn, the window stays.
        Assert.Equal(0, Period(climber, (request, key) => (request % 2 == 0 ? key : key - 50, request % 2 == 1)));

        // A loop of 1,500 keys: the LRU of 1,000 never hits, the cache holds a stable part of it: no grow.
        Assert.Equal(0, Period(climber, (request, _) => (1_000_000 + (request % 1_500), request % 3 == 0)));

        // A near tie (the LRU ahead by less than two standard deviations of the difference: 30 requests only it hit,
        // 20 only the cache hit) is noise: no grow. (Second uses within the first 100 requests are of keys never seen.)
        Assert.Equal(0, Period(climber, (request, key) => (request % 2 == 0 ? key : key - 50, request % 2 == 1 ? request > 100 && request % 30 != 1 : request % 50 == 0)));

        // Significantly ahead (56 requests only the LRU hit against 10 only the cache hit): a grow that follows
        // how one-sided the evidence was, between a hill-climbing step (62) and a quarter of the capacity.
        Assert.InRange(Period(climber, (request, key) => (request % 2 == 0 ? key : key - 50, request % 2 == 1 ? request > 100 && request % 16 != 1 : request % 100 == 0)), 63, 249);
    }

    [Fact]
    public void TheFrequencyCheckShrinksTheWindowWhenTinyLfuWithoutAWindowWouldHaveWonButNotBelowOnePercent()
    {
        var sketch = new FrequencySketch(1_000);
        var climber = new WindowClimber(capacity: 1_000, sampleSize: int.MaxValue, sketch);

        // 400 hot keys in turn, each followed by two keys never seen again: a hot key comes back after 1,200 requests,
        // beyond an LRU of 1,000, while TinyLFU keeps the hot keys and turns the one-time keys away. The cache (told
        // it missed everything, as a too-large window would on this stream) loses to TinyLFU, never to the LRU.
        var adjustments = new List<int>();
        var scan = 1_000_000;
        for (var period = 0; period < 6; period++)
        {
            for (var i = 0; i < climber.CheckPeriod; i++)
            {
                var key = i % 3 == 0 ? (period * climber.CheckPeriod / 3 + i / 3) % 400 : scan++;
                sketch.Increment(key);
                climber.Observe(key, hit: false);
            }

            adjustments.Add(climber.Adjust(window: period < 5 ? 500 : 10));
        }

        Assert.DoesNotContain(adjustments, a => a > 0);
        Assert.Contains(-62, adjustments.Take(5));

        // At a 1% window (10 of 1,000) the check asks for nothing more.
        Assert.Equal(0, adjustments[5]);
    }

    [Fact]
    public void TheShadowLruHitsExactlyWhereAnLruOfTheSameCapacityWouldUpToTwoThousandEntries()
    {
        var shadow = new WindowClimber.ShadowLru(300);
        var lru = new List<int>();
        var random = new Random(3);
        for (var i = 0; i < 20_000; i++)
        {
            var key = random.Next(600);
            Assert.True(shadow.Samples(key));
            var expected = lru.Remove(key);
            lru.Add(key);
            if (lru.Count > 300)
            {
                lru.RemoveAt(0);
            }

            Assert.Equal(expected, shadow.Access(key));
        }

        // Larger capacities are followed on a sample of about one key in 2^k, holding 1,024 to 2,047 of them.
        var large = new WindowClimber.ShadowLru(100_000);
        Assert.InRange(large.Capacity, 1_024, 2_047);
        var sampled = Enumerable.Range(0, 1_000_000).Count(large.Samples);
        Assert.InRange(sampled, 1_000_000 / 64 * 8 / 10, 1_000_000 / 64 * 12 / 10);
    }

    [Fact]
    public void OnAStreamOfKeysReusedOnlyShortlyAfterTheirFirstUseTheWindowGrowsToHoldThem()
    {
        using var store = new MemoryStore(new CacheConfig { MaxSize = Capacity }, new CacheCounters(), TimeProvider.System) { ReplayOnReader = true };
        var segment = store.Segment("t");
        var initial = store.WindowMaximum;
        Assert.Equal(Capacity / 100, initial);

        // Every key is used twice, 150 new keys apart (about 300 distinct keys between the two uses: within an LRU of
        // 500, not within a 1% window), then never again: recency is all there is to learn, frequency is a trap (keys
        // used twice look hot once they are dead). An LRU hits every second use: 50%.
        var hits = RecencyStream(store, [segment], "k", steps: 40 * Capacity, out var lateHitRatio);

        Assert.True(store.WindowMaximum >= 300, $"window {store.WindowMaximum} of {Capacity} after a recency-only stream");
        Assert.True(lateHitRatio >= 0.45, $"hit ratio {lateHitRatio:P1} in the second half, an LRU's is 50%");
        Assert.True(hits > 0);
    }

    [Fact]
    public void OnALoopLongerThanTheCacheTheWindowStaysSmallAndPartOfTheLoopIsKept()
    {
        using var store = new MemoryStore(new CacheConfig { MaxSize = Capacity }, new CacheCounters(), TimeProvider.System);
        var segment = store.Segment("t");

        // Keys 0..599 in order, again and again: an LRU of 500 never hits; a cache that keeps a fixed 490 of them hits
        // 490 requests in 600. Growing the window makes the cache an LRU, so the window must stay small.
        const int LoopLength = 600;
        var lateHits = 0;
        const int Passes = 200;
        for (var pass = 0; pass < Passes; pass++)
        {
            for (var k = 0; k < LoopLength; k++)
            {
                var hit = Request(store, segment, $"loop{k}");
                if (hit && pass >= Passes / 2)
                {
                    lateHits++;
                }
            }
        }

        var ratio = (double)lateHits / (LoopLength * Passes / 2);
        Assert.True(store.WindowMaximum <= Capacity / 10, $"window {store.WindowMaximum} of {Capacity} on a loop");
        Assert.True(ratio >= 0.6, $"hit ratio {ratio:P1} on a loop of {LoopLength} (an LRU's is 0%)");
    }

    [Fact]
    public void OnAFrequencySkewedStreamWithScansAWideWindowShrinksAndTheHotSetSurvivesTheScans()
    {
        using var store = new MemoryStore(new CacheConfig { MaxSize = Capacity }, new CacheCounters(), TimeProvider.System) { ReplayOnReader = true };
        var segment = store.Segment("t");

        // First widen the window with a recency-only stream (as in the test above).
        RecencyStream(store, [segment], "r", steps: 40 * Capacity, out _);
        var widened = store.WindowMaximum;
        Assert.True(widened >= 300, $"window {widened} of {Capacity} after the recency phase");

        // Then a skewed hot set of 400 keys (key h drawn with weight 1/(h+1)), with a scan of 1,000 new keys used
        // once after every 2,000 requests: a wide window holds scanned keys that are never used again, in room the
        // hot set's tail could use. An LRU never wins here; TinyLFU without a window (the frequency witness) does, so
        // the window shrinks back (measured: from 401 to 31-122 entries; the hill climber alone, whose samples swing by
        // 9 points with the scans' period, only walked it to about 310).
        var random = new Random(7);
        var cumulative = new double[400];
        var total = 0.0;
        for (var h = 0; h < cumulative.Length; h++)
        {
            total += 1.0 / (h + 1);
            cumulative[h] = total;
        }

        var scanKey = 0;
        for (var step = 1; step <= 120 * 10 * Capacity / 3; step++)
        {
            var index = Array.BinarySearch(cumulative, random.NextDouble() * total);
            Request(store, segment, $"hot{(index >= 0 ? index : Math.Min(~index, cumulative.Length - 1))}");
            if (step % 2_000 == 0)
            {
                for (var s = 0; s < 1_000; s++)
                {
                    Request(store, segment, $"scan{scanKey++}");
                }

                // Scan resistance: the ten hottest keys are still there right after a scan twice the cache's size.
                for (var h = 0; h < 10; h++)
                {
                    Assert.True(store.TryGet(segment, $"hot{h}", out int _), $"hot{h} was flushed by the scan ending at request {step}");
                }
            }

            Assert.InRange(segment.Counters.Size, 0, Capacity);
        }

        Assert.True(store.WindowMaximum <= Capacity / 4, $"window {store.WindowMaximum} of {Capacity}, was {widened}, after a skewed stream with scans");
    }

    [Fact]
    public void WhileTheWindowMovesTheSizeByteAndTenantBoundsHoldAtEveryStep()
    {
        const long MaxBytes = 60_000;
        var config = new CacheConfig { MaxSize = Capacity, MaxMemoryBytes = MaxBytes, MaxSizePerTenant = 300 };
        using var store = new MemoryStore(config, new CacheCounters(), TimeProvider.System) { ReplayOnReader = true };
        var tenants = new[] { store.Segment("a"), store.Segment("b") };
        var initial = store.WindowMaximum;
        var windows = new HashSet<int>();

        // The recency stream of the tests above, its requests alternating between two tenants with an entry quota,
        // under a byte bound that binds before MaxSize does.
        RecencyStream(store, tenants, "k", steps: 40 * Capacity, out _, afterEach: step =>
        {
            var usage = store.GetUsage(null);
            Assert.InRange(usage.Size, 0, Capacity);
            Assert.InRange(usage.MemoryBytes, 0, MaxBytes);
            Assert.InRange(tenants[0].Counters.Size, 0, 300);
            Assert.InRange(tenants[1].Counters.Size, 0, 300);
            if (step % 500 == 0)
            {
                windows.Add(store.WindowMaximum);
            }
        });

        // The climber did move the window while the bounds held.
        Assert.Contains(windows, w => w != initial);
        Assert.True(store.GetUsage(null).MemoryBytes > MaxBytes / 2, "the byte bound was never approached");
    }

    private static int Sample(WindowClimber climber, int hits)
    {
        climber.RecordHits(hits);
        for (var m = hits; m < 100; m++)
        {
            climber.RecordMiss();
        }

        return climber.Adjust();
    }

    /// <summary>
    /// One check period of requests: <paramref name="request"/> gives the key (from the request's number and a fresh key
    /// number) and whether the cache hit; the window growth the climber asks for at the end.
    /// </summary>
    private static int Period(WindowClimber climber, Func<int, int, (int Key, bool Hit)> request)
    {
        for (var i = 0; i < climber.CheckPeriod; i++)
        {
            var (key, hit) = request(i, s_nextKey + (i / 2));
            climber.Observe(key, hit);
        }

        s_nextKey += climber.CheckPeriod;
        return climber.Adjust();
    }

    private static int s_nextKey;

    /// <summary>
    /// The recency-only stream: each step uses a new key, and the key first used 150 steps before (its second and last
    /// use), spreading the steps over <paramref name="tenants"/> in turn. The hits; the hit ratio of the second half.
    /// </summary>
    private static int RecencyStream(MemoryStore store, TenantSegment[] tenants, string prefix, int steps, out double lateHitRatio, Action<int>? afterEach = null)
    {
        var hits = 0;
        var lateHits = 0;
        var lateRequests = 0;
        for (var step = 0; step < steps; step++)
        {
            var segment = tenants[step % tenants.Length];
            var late = step >= steps / 2;
            if (Request(store, segment, $"{prefix}{step}") && late)
            {
                lateHits++;
            }

            lateRequests += late ? 1 : 0;
            if (step >= 150)
            {
                // The key of 150 steps before, in the tenant it was written to.
                var hit = Request(store, tenants[(step - 150) % tenants.Length], $"{prefix}{step - 150}");
                hits += hit ? 1 : 0;
                lateHits += hit && late ? 1 : 0;
                lateRequests += late ? 1 : 0;
            }

            afterEach?.Invoke(step);
        }

        lateHitRatio = (double)lateHits / lateRequests;
        return hits;
    }

    /// <summary>A read-through request: a get, and a set when it misses; true on a hit.</summary>
    private static bool Request(MemoryStore store, TenantSegment segment, string key)
    {
        if (store.TryGet(segment, key, out int _))
        {
            return true;
        }

        Assert.True(store.Set(segment, key, 1, Timeout.InfiniteTimeSpan));
        return false;
    }
}
