using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Backends.Memory;

namespace Motadata.Cache.Tests.Memory;

/// <summary>
/// The memory store's key table (<see cref="NodeTable"/>): lock-free lookups beside one writer at a time (here a
/// lock of the test's own, as the store's maintenance lock is in the store). Real threads; every race test counts
/// its work instead of timing it, and asserts what readers saw.
/// </summary>
public sealed class NodeTableTests
{
    private static readonly TenantSegment Segment = new(null, new CacheCounters().Global, null, null, long.MaxValue);

    [Fact]
    public void WhenReadersLookUpPresentKeysWhileAWriterGrowsAndShrinksTheTableManyTimesNoneIsEverMissed()
    {
        var table = new NodeTable();
        var writerLock = new Lock();
        var resident = new MemoryNode[64];
        for (var i = 0; i < resident.Length; i++)
        {
            resident[i] = new MemoryNode($"resident-{i}", Segment);
            lock (writerLock)
            {
                table.Add(resident[i]);
            }
        }

        const int Rounds = 60;
        const int ChurnKeys = 2_000;
        var churn = new MemoryNode[ChurnKeys];
        for (var i = 0; i < churn.Length; i++)
        {
            churn[i] = new MemoryNode($"churn-{i}", Segment);
        }

        var writerDone = 0;
        var readersStarted = new CountdownEvent(2);
        long misses = 0;
        long wrongNodes = 0;
        long lookups = 0;
        var readers = Enumerable.Range(0, 2).Select(reader => new Thread(() =>
        {
            readersStarted.Signal();
            long mine = 0;
            while (Volatile.Read(ref writerDone) == 0)
            {
                for (var i = reader; i < resident.Length; i += 2)
                {
                    if (!table.TryGetValue(resident[i].Key, out var found))
                    {
                        Interlocked.Increment(ref misses);
                    }
                    else if (found != resident[i])
                    {
                        Interlocked.Increment(ref wrongNodes);
                    }

                    mine++;
                }
            }

            Interlocked.Add(ref lookups, mine);
        })).ToArray();

        var resizesBefore = table.Resizes;
        foreach (var thread in readers)
        {
            thread.Start();
        }

        readersStarted.Wait();

        // Churn nodes are new each round: a removed node is never added again (the table's rule).
        for (var round = 0; round < Rounds; round++)
        {
            for (var i = 0; i < churn.Length; i++)
            {
                churn[i] = new MemoryNode(churn[i].Key, Segment);
                lock (writerLock)
                {
                    table.Add(churn[i]);
                }
            }

            for (var i = 0; i < churn.Length; i++)
            {
                lock (writerLock)
                {
                    Assert.True(table.TryRemove(churn[i]));
                }
            }
        }

        Volatile.Write(ref writerDone, 1);
        foreach (var thread in readers)
        {
            thread.Join();
        }

        // 64 → 2,064 entries a round: from 256 buckets up to 4,096 and back, eight resizes (ten in the first round).
        Assert.True(table.Resizes - resizesBefore >= Rounds * 8, $"only {table.Resizes - resizesBefore} resizes");
        Assert.True(lookups > 0);
        Assert.Equal(0, Interlocked.Read(ref misses));
        Assert.Equal(0, Interlocked.Read(ref wrongNodes));
        Assert.Equal(resident.Length, table.Count);
        Assert.All(resident, node => Assert.True(table.TryGetValue(node.Key, out var found) && found == node));
        Assert.All(churn, node => Assert.False(table.TryGetValue(node.Key, out _)));
    }

    [Fact]
    public void WhenKeysShareOneHashEveryOneIsFoundAndARemovedOneVanishesWhileTheRestOfItsChainStays()
    {
        // Fewer than the collision threshold: the table keeps its fast hash, and so one chain of them all.
        var table = new NodeTable();
        var keys = KeyFloodTests.CollidingKeys(41);
        var nodes = keys.Take(40).Select(key => new MemoryNode(key, Segment)).ToArray();
        foreach (var node in nodes)
        {
            table.Add(node);
        }

        Assert.False(table.IsRandomized);
        Assert.Equal(nodes.Length, table.LongestChain());
        foreach (var node in nodes)
        {
            Assert.True(table.TryGetValue(node.Key, out var found));
            Assert.Same(node, found);
        }

        Assert.False(table.TryGetValue(keys[40], out _));

        var removed = nodes[20];
        var followers = Chain(removed.BucketNext);
        Assert.NotEmpty(followers);
        Assert.True(table.TryRemove(removed));
        Assert.False(table.TryRemove(removed));
        Assert.False(table.TryGetValue(removed.Key, out _));
        Assert.Equal(nodes.Length - 1, table.Count);

        // A reader standing on the removed node walks on to the nodes that followed it.
        Assert.Equal(followers, Chain(removed.BucketNext));
        foreach (var node in nodes.Where(node => node != removed))
        {
            Assert.True(table.TryGetValue(node.Key, out var found));
            Assert.Same(node, found);
        }
    }

    [Fact]
    public void WhenReadersLookUpPresentKeysWhileFloodingKeysSwitchTheTableToRandomizedHashingNoneIsEverMissed()
    {
        // The switch re-hashes and re-links every node, as a resize does: readers must not miss a present key meanwhile.
        var flood = KeyFloodTests.CollidingKeys(NodeTable.CollisionThreshold * 3);
        var writerLock = new Lock();
        long misses = 0;
        long lookups = 0;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var table = new NodeTable();
            var resident = Enumerable.Range(0, 512).Select(i => new MemoryNode($"resident-{i}", Segment)).ToArray();
            foreach (var node in resident)
            {
                lock (writerLock)
                {
                    table.Add(node);
                }
            }

            var writerDone = 0;
            using var readerStarted = new ManualResetEventSlim();
            var reader = new Thread(() =>
            {
                readerStarted.Set();
                long mine = 0;
                do
                {
                    foreach (var node in resident)
                    {
                        if (!table.TryGetValue(node.Key, out var found) || found != node)
                        {
                            Interlocked.Increment(ref misses);
                        }

                        mine++;
                    }
                }
                while (Volatile.Read(ref writerDone) == 0);

                Interlocked.Add(ref lookups, mine);
            });
            reader.Start();
            readerStarted.Wait();
            foreach (var key in flood)
            {
                lock (writerLock)
                {
                    table.Add(new MemoryNode(key, Segment));
                }
            }

            Volatile.Write(ref writerDone, 1);
            reader.Join();
            Assert.True(table.IsRandomized);
            Assert.InRange(table.LongestChain(), 1, 20);
        }

        Assert.True(lookups > 0);
        Assert.Equal(0, Interlocked.Read(ref misses));
    }

    [Fact]
    public void TheFastHashIsTheRuntimesNonRandomizedStringHashForEveryLength()
    {
        // The flood test's keys are computed against the runtime's algorithm: the table's copy must be the same one.
        var runtimeHash = typeof(string).GetMethod("GetNonRandomizedHashCode", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;
        for (var length = 0; length <= 40; length++)
        {
            var key = new string(Enumerable.Range(0, length).Select(i => (char)('a' + ((i * 7 + length) % 26))).ToArray());
            Assert.Equal((int)runtimeHash.Invoke(key, null)!, NodeTable.FastHash(key));
        }

        Assert.NotEqual(NodeTable.FastHash("key-000001"), NodeTable.FastHash("key-000002"));
    }

    [Fact]
    public void WhenEveryKeyIsRemovedTheTableShrinksBackAndFindsNothing()
    {
        var table = new NodeTable();
        var nodes = Enumerable.Range(0, 5_000).Select(i => new MemoryNode($"k{i}", Segment)).ToArray();
        foreach (var node in nodes)
        {
            table.Add(node);
        }

        Assert.True(table.Capacity >= nodes.Length);
        Assert.Equal(nodes.Length, table.ToArray().Distinct().Count());
        foreach (var node in nodes)
        {
            Assert.True(table.TryRemove(node));
        }

        Assert.Equal(0, table.Count);
        Assert.Equal(8, table.Capacity);
        Assert.Empty(table.ToArray());
        Assert.All(nodes, node => Assert.False(table.TryGetValue(node.Key, out _)));
    }

    [Fact]
    public void WhenReadersGetPresentKeysWhileOtherKeysOfTheTenantAreSetAndDeletedEveryReadHits()
    {
        // Through the store: inserts and deletes under its maintenance lock grow and shrink the tenant's table.
        using var store = new MemoryStore(new CacheConfig { MaxSize = 100_000 }, new CacheCounters(), TimeProvider.System);
        var segment = store.Segment("tenant");
        var resident = Enumerable.Range(0, 64).Select(i => $"resident-{i}").ToArray();
        for (var i = 0; i < resident.Length; i++)
        {
            Assert.True(store.Set(segment, resident[i], i, Timeout.InfiniteTimeSpan));
        }

        var writerDone = 0;
        long wrong = 0;
        long reads = 0;
        using var readerStarted = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            readerStarted.Set();
            long mine = 0;
            do
            {
                for (var i = 0; i < resident.Length; i++)
                {
                    if (!store.TryGet(segment, resident[i], out int value) || value != i)
                    {
                        Interlocked.Increment(ref wrong);
                    }

                    mine++;
                }
            }
            while (Volatile.Read(ref writerDone) == 0);

            Interlocked.Add(ref reads, mine);
        });
        reader.Start();
        readerStarted.Wait();

        var resizesBefore = segment.Entries.Resizes;
        for (var round = 0; round < 10; round++)
        {
            for (var i = 0; i < 2_000; i++)
            {
                Assert.True(store.Set(segment, $"churn-{i}", i, Timeout.InfiniteTimeSpan));
            }

            for (var i = 0; i < 2_000; i++)
            {
                Assert.True(store.Delete(segment, $"churn-{i}"));
            }
        }

        Volatile.Write(ref writerDone, 1);
        reader.Join();
        Assert.True(segment.Entries.Resizes - resizesBefore >= 10 * 8);
        Assert.True(reads > 0);
        Assert.Equal(0, Interlocked.Read(ref wrong));
        Assert.Equal(resident.Length, segment.Counters.Size);
        Assert.Equal(resident.Length, segment.Entries.Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WhenAnInvalidateOrClearRacesInsertsThatResizeTheTableNoEntryPresentBeforeItIsLeft(bool invalidate)
    {
        using var store = new MemoryStore(new CacheConfig { MaxSize = 1_000_000 }, new CacheCounters(), TimeProvider.System);
        var segment = store.Segment("tenant");
        const int OldKeys = 3_000;
        for (var i = 0; i < OldKeys; i++)
        {
            Assert.True(store.Set(segment, $"old:{i}", i, Timeout.InfiniteTimeSpan));
        }

        var resizesBefore = segment.Entries.Resizes;
        var inserted = 0;
        var stop = 0;
        var inserter = new Thread(() =>
        {
            // New keys double the table again and again while the invalidation runs (it stops them once it returned).
            for (var i = 0; i < 200_000 && Volatile.Read(ref stop) == 0; i++)
            {
                store.Set(segment, $"new:{i}", i, Timeout.InfiniteTimeSpan);
                Volatile.Write(ref inserted, i + 1);
            }
        });
        inserter.Start();

        // 3,000 + 1,200 entries pass 4,096 buckets: the table resizes during the test, most often during the removal.
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref inserted) >= 1_200, TimeSpan.FromMinutes(2)));

        var removed = invalidate ? store.Invalidate("tenant", GlobPattern.Parse("old:*")) : store.Clear(segment);
        Volatile.Write(ref stop, 1);
        inserter.Join();

        // Every old key was present throughout, so every one was removed and counted.
        for (var i = 0; i < OldKeys; i++)
        {
            Assert.False(store.TryGet(segment, $"old:{i}", out int _), $"old:{i} survived");
        }

        if (invalidate)
        {
            Assert.Equal(OldKeys, removed);
            Assert.True(store.TryGet(segment, "new:0", out int first));
            Assert.Equal(0, first);
        }
        else
        {
            Assert.True(removed >= OldKeys);
        }

        Assert.True(segment.Entries.Resizes > resizesBefore);
        Assert.Equal(segment.Entries.Count, segment.Counters.Size);
    }

    private static List<MemoryNode> Chain(MemoryNode? first)
    {
        var chain = new List<MemoryNode>();
        for (var node = first; node is not null; node = node.BucketNext)
        {
            chain.Add(node);
        }

        return chain;
    }
}
