using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Memory;

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
    public void OnAStreamOfKeysReusedOnlyShortlyAfterTheirFirstUseTheWindowGrows()
    {
        using var store = new MemoryStore(new CacheConfig { MaxSize = Capacity }, new CacheCounters(), TimeProvider.System) { ReplayOnReader = true };
        var segment = store.Segment("t");
        var initial = store.WindowMaximum;
        Assert.Equal(Capacity / 100, initial);

        // Every key is used twice, 300 new keys apart (within LRU's reach, not within a 1% window's), then never again:
        // recency is all there is to learn, frequency is a trap (keys used twice look hot once they are dead).
        var next = 0;
        for (var step = 0; step < 60 * 10 * Capacity / 2; step++)
        {
            Request(store, segment, $"k{next}");
            if (next >= 300)
            {
                Request(store, segment, $"k{next - 300}");
            }

            next++;
            Assert.InRange(segment.Counters.Size, 0, Capacity);
        }

        Assert.True(store.WindowMaximum >= Capacity / 5, $"window {store.WindowMaximum} of {Capacity} after a recency-only stream");
    }

    [Fact]
    public void OnAFrequencySkewedStreamWithScansAWideWindowShrinks()
    {
        using var store = new MemoryStore(new CacheConfig { MaxSize = Capacity }, new CacheCounters(), TimeProvider.System) { ReplayOnReader = true };
        var segment = store.Segment("t");

        // First widen the window with a recency-only stream (as in the test above).
        var next = 0;
        for (var step = 0; step < 60 * 10 * Capacity / 2; step++)
        {
            Request(store, segment, $"r{next}");
            if (next >= 300)
            {
                Request(store, segment, $"r{next - 300}");
            }

            next++;
        }

        var widened = store.WindowMaximum;
        Assert.True(widened >= Capacity / 5, $"window {widened} of {Capacity} after the recency phase");

        // Then a skewed hot set of 400 keys (key h drawn with weight 1/(h+1)), with a scan of 1,000 new keys used
        // once after every 2,000 requests: a wide window holds scanned keys that are never used again, in room the
        // hot set's tail could use. The climber's steps have decayed in the first phase (it restarts them when the
        // hit rate jumps), so it is asked to give back a quarter of the window, not all of it.
        var random = new Random(7);
        var weights = Enumerable.Range(0, 400).Select(h => 1.0 / (h + 1)).ToArray();
        var cumulative = new double[weights.Length];
        var total = 0.0;
        for (var h = 0; h < weights.Length; h++)
        {
            total += weights[h];
            cumulative[h] = total;
        }

        var scanKey = 0;
        for (var step = 1; step <= 120 * 10 * Capacity / 3; step++)
        {
            var index = Array.BinarySearch(cumulative, random.NextDouble() * total);
            Request(store, segment, $"hot{(index >= 0 ? index : Math.Min(~index, weights.Length - 1))}");
            if (step % 2_000 == 0)
            {
                for (var s = 0; s < 1_000; s++)
                {
                    Request(store, segment, $"scan{scanKey++}");
                }
            }

            Assert.InRange(segment.Counters.Size, 0, Capacity);
        }

        Assert.True(store.WindowMaximum <= widened * 3 / 4, $"window {store.WindowMaximum} of {Capacity}, was {widened}, after a skewed stream with scans");
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
        var next = 0;
        for (var step = 0; step < 60 * 10 * Capacity / 2; step++)
        {
            var segment = tenants[step % 2];
            Request(store, segment, $"k{next}");
            if (next >= 300)
            {
                Request(store, segment, $"k{next - 300}");
            }

            next++;
            var usage = store.GetUsage(null);
            Assert.InRange(usage.Size, 0, Capacity);
            Assert.InRange(usage.MemoryBytes, 0, MaxBytes);
            Assert.InRange(tenants[0].Counters.Size, 0, 300);
            Assert.InRange(tenants[1].Counters.Size, 0, 300);
            if (step % 1_000 == 0)
            {
                windows.Add(store.WindowMaximum);
            }
        }

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

    /// <summary>A read-through request: a get, and a set when it misses.</summary>
    private static void Request(MemoryStore store, TenantSegment segment, string key)
    {
        if (!store.TryGet(segment, key, out int _))
        {
            Assert.True(store.Set(segment, key, 1, Timeout.InfiniteTimeSpan));
        }
    }
}
