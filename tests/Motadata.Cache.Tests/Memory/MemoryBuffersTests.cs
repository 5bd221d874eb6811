using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Backends.Memory;

namespace Motadata.Cache.Tests.Memory;

/// <summary>The read buffer's replay off the reader's thread, and the exact bounds under concurrent writers.</summary>
public sealed class MemoryBuffersTests
{
    [Fact]
    public void ReadsAreReplayedIntoThePolicyWithoutAnyWriteWhenThePoolReplays()
    {
        // The pool replay (opt-in, ReplayOnPoolSwitch): the reader queues the replay and returns.
        using var store = new MemoryStore(new CacheConfig { MaxSize = 10_000 }, new CacheCounters(), TimeProvider.System) { ReplayOnReader = false };
        var (segment, keys) = Fill(store, 1_024);
        var before = store.ReadsReplayed;

        // Distinct keys, so each read is a record: four half rings' worth exactly (a replay is asked for at each half
        // ring; records after the last request would wait for the next one), then no write at all.
        foreach (var key in keys)
        {
            Assert.True(store.TryGet(segment, key, out int _));
        }

        // The pool thread (or, if it is late, the reader itself) replays them; wait for it, with a generous deadline.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (store.ReadsReplayed - before < 922 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }

        var replayed = store.ReadsReplayed - before;
        Assert.True(replayed >= 922, $"{replayed} of 1,024 reads replayed");
        Assert.True(replayed + store.ReadsDropped <= 1_024 + 1, $"{replayed} replayed + {store.ReadsDropped} dropped for 1,024 reads");
    }

    [Fact]
    public void ReadsWhileAnotherThreadHoldsTheMaintenanceLockAreDroppedAndTheNextReadsAreRecordedAgain()
    {
        using var store = new MemoryStore(new CacheConfig { MaxSize = 10_000 }, new CacheCounters(), TimeProvider.System);
        var (segment, keys) = Fill(store, 2_000);
        var replayedBefore = store.ReadsReplayed;

        // Another thread holds the lock (as a replay or a write would) while this one reads every key three times:
        // its ring fills, and the reads it cannot record are dropped, never waited for.
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            store.MaintenanceLock.Enter();
            try
            {
                held.Set();
                release.Wait();
            }
            finally
            {
                store.MaintenanceLock.Exit();
            }
        });
        holder.Start();
        held.Wait();
        for (var round = 0; round < 3; round++)
        {
            foreach (var key in keys)
            {
                Assert.True(store.TryGet(segment, key, out int _));
            }
        }

        var dropped = store.ReadsDropped;
        release.Set();
        holder.Join();
        Assert.True(dropped > 0, "no read was dropped while the lock was held");

        // Every key was read while the lock was held; the keys must still be recorded once it is free (when reads
        // marked the entries they recorded, a dropped read left marked was taken for a repeat of a recorded one, and
        // with every key marked nothing was recorded again: the policy frozen for a read-only workload).
        foreach (var key in keys)
        {
            Assert.True(store.TryGet(segment, key, out int _));
        }

        store.DrainReadsNow();
        var replayed = store.ReadsReplayed - replayedBefore;
        Assert.True(replayed >= keys.Length, $"{replayed} reads replayed after the lock was released, for {keys.Length} keys read");

        // Each read is replayed or dropped at most once: never more records than reads (plus the reads that replayed).
        Assert.True(replayed + store.ReadsDropped <= 4L * keys.Length, $"{replayed} replayed + {store.ReadsDropped} dropped for {4 * keys.Length} reads");
    }

    [Fact]
    public void AKeyReadAgainAndAgainOnOneThreadIsOneRecordAndTheSketchCountsEveryRead()
    {
        // A hot key's repeats are counted on the reader's last record, not written to the entry nor recorded again.
        using var store = new MemoryStore(new CacheConfig { MaxSize = 1_000 }, new CacheCounters(), TimeProvider.System) { ReplayOnReader = true };
        var segment = store.Segment("t");
        Assert.True(store.Set(segment, "hot", 1, TimeSpan.FromHours(1)));
        Assert.True(store.Set(segment, "other", 2, TimeSpan.FromHours(1)));
        store.DrainReadsNow();
        var frequency = store.FrequencyOf(segment, "hot");
        var before = store.ReadsReplayed;

        for (var i = 0; i < 10; i++)
        {
            Assert.True(store.TryGet(segment, "hot", out int _));
        }

        Assert.True(store.TryGet(segment, "other", out int _));
        for (var i = 0; i < 3; i++)
        {
            Assert.True(store.TryGet(segment, "hot", out int _));
        }

        store.DrainReadsNow();

        // Three records (hot with 9 repeats, other, hot with 2), and every one of hot's 13 reads in the sketch.
        Assert.Equal(3, store.ReadsReplayed - before);
        Assert.Equal(Math.Min(15, frequency + 13), store.FrequencyOf(segment, "hot"));
    }

    [Fact]
    public void ReadersTakeTurnsReplayingTheirFullRingsAndALoneReaderReplaysThemAll()
    {
        using var store = new MemoryStore(new CacheConfig { MaxSize = 10_000 }, new CacheCounters(), TimeProvider.System);
        var (segment, keys) = Fill(store, 4_000);

        // Distinct keys (each read is a record, and rings fill), one thread after the other, never at once.
        var snapshots = new List<(long Replayed, long Dropped)> { (store.ReadsReplayed, store.ReadsDropped) };
        void Read(int from, int count)
        {
            for (var i = from; i < from + count; i++)
            {
                Assert.True(store.TryGet(segment, keys[i], out int _));
            }

            snapshots.Add((store.ReadsReplayed, store.ReadsDropped));
        }

        RunOnNewThread(() => Read(0, 1_000));
        RunOnNewThread(() =>
        {
            Read(1_000, 1_000);
            Read(2_000, 2_000);
        });

        // A first reader alone: every ring it fills is replayed, nothing dropped.
        Assert.Equal(0, snapshots[1].Dropped);
        Assert.True(snapshots[1].Replayed - snapshots[0].Replayed >= 500, $"{snapshots[1].Replayed - snapshots[0].Replayed} of 1,000 reads replayed by a lone reader");

        // Another reader: its first full ring comes right after the first reader's replay, so it is not its turn and
        // the ring is dropped (counted); its next comes after a dropped ring, so it replays, and keeps the turn.
        Assert.InRange(snapshots[2].Dropped, 1, 1_000);
        Assert.Equal(snapshots[2].Dropped, snapshots[3].Dropped);
        Assert.True(snapshots[3].Replayed - snapshots[2].Replayed >= 1_500, $"{snapshots[3].Replayed - snapshots[2].Replayed} of 2,000 reads replayed once it was the reader's turn");

        static void RunOnNewThread(Action body)
        {
            Exception? failure = null;
            var thread = new Thread(() =>
            {
                try
                {
                    body();
                }
                catch (Exception exception)
                {
                    failure = exception;
                }
            });
            thread.Start();
            thread.Join();
            Assert.Null(failure);
        }
    }

    [Fact]
    public void TwoReadersWhoseRingsFillInStrictAlternationStillReplayAtLeastEveryOtherRing()
    {
        using var store = new MemoryStore(new CacheConfig { MaxSize = 50_000 }, new CacheCounters(), TimeProvider.System);
        var (segment, keys) = Fill(store, 12_000);
        var before = store.ReadsReplayed;

        // Two readers in lockstep: each step reads 300 keys never read before (a ring of 256 fills once), then hands
        // over to the other, so full rings alternate between them exactly.
        using var first = new SemaphoreSlim(1);
        using var second = new SemaphoreSlim(0);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        Thread Reader(int offset, SemaphoreSlim mine, SemaphoreSlim other) => new(() =>
        {
            try
            {
                for (var step = 0; step < 20; step++)
                {
                    Assert.True(mine.Wait(TimeSpan.FromMinutes(2)), "the other reader never handed over");
                    for (var i = 0; i < 300; i++)
                    {
                        Assert.True(store.TryGet(segment, keys[offset + (step * 300) + i], out int _));
                    }

                    other.Release();
                }
            }
            catch (Exception exception)
            {
                failures.Enqueue(exception);
                other.Release(100);
            }
        });

        var readers = new[] { Reader(0, first, second), Reader(6_000, second, first) };
        Array.ForEach(readers, r => r.Start());
        Array.ForEach(readers, r => r.Join());
        Assert.Empty(failures);

        // A rule that gave the turn only to the reader whose ring filled last replayed nothing here.
        var replayed = store.ReadsReplayed - before;
        Assert.True(replayed >= 12_000 * 4 / 10, $"{replayed} of 12,000 reads replayed");
    }

    [Fact]
    public void ADisposedStoreKeepsNoEntryReachableThroughTheReadersLastSegmentCache()
    {
        // The thread's last-segment cache still points at the disposed store until it reads another one: the store
        // must not keep its entries (and their values) alive through it.
        var value = FillReadAndDispose();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(value.IsAlive, "a value of a disposed store is still reachable");

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static WeakReference FillReadAndDispose()
        {
            var store = new MemoryStore(new CacheConfig { MaxSize = 100 }, new CacheCounters(), TimeProvider.System);
            var stored = new object();
            store.Set(store.Segment("t"), "k", stored, TimeSpan.FromHours(1));
            for (var i = 0; i < 10; i++)
            {
                store.Set(store.Segment("t"), $"other-{i}", new object(), TimeSpan.FromHours(1));
            }

            // Through the tenant lookup that remembers the segment for this thread.
            Assert.True(store.TryGet(new Motadata.Cache.Keys.CacheKey("t", "k"), out object? _));
            store.Dispose();
            return new WeakReference(stored);
        }
    }

    [Fact]
    public void FourWritersOverFourTenantsNeverSeeABoundPassed()
    {
        const int MaxSize = 400;
        const long MaxBytes = 400L * 200;
        const int Quota = 150;
        var config = new CacheConfig { MaxSize = MaxSize, MaxMemoryBytes = MaxBytes, MaxSizePerTenant = Quota };
        using var store = new MemoryStore(config, new CacheCounters(), TimeProvider.System);
        string[] tenants = ["t0", "t1", "t2", "t3"];
        var segments = tenants.Select(store.Segment).ToArray();
        var writersLeft = 4;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        var writers = Enumerable.Range(0, 4).Select(w => new Thread(() =>
        {
            try
            {
                for (var i = 0; i < 40_000; i++)
                {
                    // Each writer goes round the four tenants; values of varied size, so the byte bound binds too.
                    var segment = segments[(w + i) & 3];
                    var value = new string('x', (i % 7) * 10);
                    if (!store.Set(segment, $"w{w}-{i}", value, TimeSpan.FromHours(1)))
                    {
                        failures.Enqueue($"set w{w}-{i} refused");
                    }

                    if ((i & 15) == 0)
                    {
                        store.TryGet(segment, $"w{w}-{i - 8}", out string? _);
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref writersLeft);
            }
        })).ToList();

        var checks = 0;
        var observer = new Thread(() =>
        {
            while (Volatile.Read(ref writersLeft) > 0)
            {
                var usage = store.GetUsage(null);
                if (usage.Size > MaxSize || usage.MemoryBytes > MaxBytes)
                {
                    failures.Enqueue($"cache at {usage.Size} entries, {usage.MemoryBytes} bytes");
                }

                foreach (var segment in segments)
                {
                    if (segment.Counters.Size > Quota)
                    {
                        failures.Enqueue($"{segment.TenantId} at {segment.Counters.Size} entries");
                    }
                }

                checks++;
            }
        });

        writers.ForEach(t => t.Start());
        observer.Start();
        writers.ForEach(t => t.Join());
        observer.Join();

        Assert.Empty(failures);
        Assert.True(checks > 0);
        var final = store.GetUsage(null);
        Assert.InRange(final.Size, 1, MaxSize);
        Assert.Equal(final.Size, segments.Sum(s => s.Counters.Size));
        Assert.Equal(final.MemoryBytes, segments.Sum(s => s.Counters.MemoryBytes));
    }

    /// <summary>Stores keys <c>k0</c> to <c>k{count - 1}</c> in tenant "t" and replays every read recorded so far.</summary>
    private static (TenantSegment Segment, string[] Keys) Fill(MemoryStore store, int count)
    {
        var segment = store.Segment("t");
        var keys = Enumerable.Range(0, count).Select(i => $"k{i}").ToArray();
        foreach (var key in keys)
        {
            store.Set(segment, key, 1, TimeSpan.FromHours(1));
        }

        store.DrainReadsNow();
        return (segment, keys);
    }
}
