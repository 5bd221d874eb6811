using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Stores.Backends.Dragonfly;
using Motadata.Cache.Tests.Infrastructure;
using StackExchange.Redis;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// The read batcher on a real three-primary Redis Cluster, where a batch goes as one <c>GET</c> per read: a caller
/// whose continuation throws or blocks holds back neither the rest of its batch nor the next one, and the exception is
/// handed on, not lost. The batcher's clock is a fake one that never moves, so its timer (the 2 ms bound) never fires:
/// whatever gets through here gets through without it.
/// </summary>
public sealed class DragonflyReadBatchingClusterTests : IClassFixture<RedisClusterFixture>
{
    // Liveness guard only (a stall fails the test instead of the run); nothing here races it.
    private static readonly TimeSpan s_hang = TimeSpan.FromSeconds(60);

    private readonly RedisClusterFixture _fixture;
    private readonly string _prefix = RedisClusterFixture.UniquePrefix("batch-cluster");

    public DragonflyReadBatchingClusterTests(RedisClusterFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task ACallerWhoseContinuationThrowsAndOneThatBlocksOnALaterReadStallNothing()
    {
        for (var i = 0; i < 4; i++)
        {
            Assert.True(await _fixture.Raw.StringSetAsync(Key(i), $"v{i}"));
        }

        using var batcher = new DragonflyReadBatcher(_fixture.Raw, 100, static () => true, new FakeTimeProvider());
        var failures = new ConcurrentQueue<Exception>();
        batcher.ContinuationFailed = failures.Enqueue;

        // The first read stays "in flight" until its caller is let go, so the next two certainly wait and go together.
        var firstMayReturn = new ManualResetEventSlim();
        var first = new CallerRead(_ => firstMayReturn.Wait(s_hang));
        batcher.Enqueue(Key(0), first);
        Assert.Equal(1, batcher.Batches);

        var thrower = new CallerRead(_ => throw new InvalidOperationException("a caller's continuation failed"));
        var later = new CallerRead(null);
        var blocker = new CallerRead(_ =>
        {
            // Sync over async from the continuation: a read issued now must be sent without the timer.
            batcher.Enqueue(Key(3), later);
            Assert.True(later.Answered.Wait(s_hang), "the read issued from a blocked continuation was never sent");
        });
        batcher.Enqueue(Key(1), thrower);
        batcher.Enqueue(Key(2), blocker);
        Assert.Equal(1, batcher.Batches);
        firstMayReturn.Set();

        Assert.Equal("v0", await first.Value.WaitAsync(s_hang));
        Assert.Equal("v1", await thrower.Value.WaitAsync(s_hang));
        Assert.Equal("v2", await blocker.Value.WaitAsync(s_hang));
        Assert.Equal("v3", await later.Value.WaitAsync(s_hang));
        Assert.True(blocker.Returned.Wait(s_hang), "the blocked continuation never returned");

        // The exception was handed on (by default: rethrown on a thread of its own), not swallowed.
        await EventuallyAsync(() => !failures.IsEmpty);
        Assert.Equal("a caller's continuation failed", Assert.Single(failures).Message);

        // Nothing is left in flight: a lone read goes at once, as a plain GET.
        await EventuallyAsync(() =>
        {
            var before = batcher.Batches;
            var probe = new CallerRead(null);
            batcher.Enqueue(Key(0), probe);
            probe.Answered.Wait(s_hang);
            return batcher.Batches == before + 1 && probe.Value.Result == "v0";
        });
    }

    [Fact]
    public async Task AReadOfABatchSentOneByOneThatFailsFailsAloneAndTheOthersGetTheirValues()
    {
        Assert.True(await _fixture.Raw.StringSetAsync(Key(0), "v0"));
        Assert.True(await _fixture.Raw.StringSetAsync(Key(1), "v1"));
        await _fixture.Raw.ListLeftPushAsync(Key(2), "not a string");

        using var batcher = new DragonflyReadBatcher(_fixture.Raw, 100, static () => true, new FakeTimeProvider());
        var firstMayReturn = new ManualResetEventSlim();
        var first = new CallerRead(_ => firstMayReturn.Wait(s_hang));
        batcher.Enqueue(Key(0), first);
        var good = new CallerRead(null);
        var wrongType = new CallerRead(null);
        batcher.Enqueue(Key(1), good);
        batcher.Enqueue(Key(2), wrongType);
        firstMayReturn.Set();

        Assert.Equal("v1", await good.Value.WaitAsync(s_hang));
        await Assert.ThrowsAsync<RedisServerException>(() => wrongType.Value.WaitAsync(s_hang));
        Assert.Equal(2, batcher.Batches);
        Assert.Equal(3, batcher.BatchedReads);
    }

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        using var patience = new CancellationTokenSource(s_hang);
        while (!condition())
        {
            await Task.Delay(10, patience.Token);
        }
    }

    private string Key(int i) => $"{_prefix}k{i}";
}
