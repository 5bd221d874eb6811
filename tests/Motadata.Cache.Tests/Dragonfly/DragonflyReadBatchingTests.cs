using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores;
using Motadata.Cache.Stores.Backends.Dragonfly;
using StackExchange.Redis;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// <see cref="CacheConfig.EnableReadBatching"/>: asynchronous reads that arrive while one is in flight go as one
/// <c>MGET</c>, each caller still gets its own answer, nothing is read early, and no caller can be stalled. The
/// batching is made certain, not likely, by pausing the server (SIGSTOP) while the reads are issued: the first read
/// then stays in flight and the others queue behind it.
/// </summary>
public sealed class DragonflyReadBatchingTests : IClassFixture<RedisServerFixture>
{
    // Liveness guard only (a hang fails the test instead of the run); nothing here races it.
    private static readonly TimeSpan s_hang = TimeSpan.FromSeconds(60);

    private readonly RedisServerFixture _fixture;

    public DragonflyReadBatchingTests(RedisServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task ReadsIssuedWhileOneIsInFlightGoTogetherAndEachCallerGetsItsOwnValue()
    {
        var prefix = RedisServerFixture.UniquePrefix("batch-values");
        await using var cache = Cache(prefix);
        var tenants = new[] { "t1", "t2", "t3" };
        foreach (var tenant in tenants)
        {
            for (var i = 0; i < 40; i++)
            {
                await cache.SetAsync($"k{i}", $"{tenant}/v{i}", tenantId: tenant);
            }
        }

        await cache.SetAsync("g", "global");
        var mgetBefore = await CommandCallsAsync("mget");

        var reads = new List<(string? Tenant, string Key, Task<string?> Read)>();
        _fixture.Server.Pause();
        try
        {
            foreach (var tenant in tenants)
            {
                for (var i = 0; i < 45; i++)
                {
                    // k40..k44 were never set: misses inside the batch.
                    reads.Add((tenant, $"k{i}", cache.GetAsync<string>($"k{i}", tenant).AsTask()));
                }
            }

            reads.Add((null, "g", cache.GetAsync<string>("g").AsTask()));
        }
        finally
        {
            _fixture.Server.Resume();
        }

        foreach (var (tenant, key, read) in reads)
        {
            var value = await read.WaitAsync(s_hang);
            var expected = tenant is null ? "global" : int.Parse(key.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) < 40 ? $"{tenant}/{key.Replace("k", "v", StringComparison.Ordinal)}" : null;
            Assert.Equal(expected, value);
        }

        Assert.True(await CommandCallsAsync("mget") > mgetBefore, "the queued reads were not sent as MGET");
        var stats = cache.GetStats();
        Assert.Equal(3 * 40 + 1, stats.Hits);
        Assert.Equal(3 * 5, stats.Misses);
    }

    [Fact]
    public async Task AReadThatFindsNothingInFlightIsAPlainGet()
    {
        var prefix = RedisServerFixture.UniquePrefix("batch-alone");
        using var store = Store(prefix);
        await store.WriteAsync(new CacheKey("t", "k"), "v", TimeSpan.FromHours(1), CancellationToken.None);
        var getBefore = await CommandCallsAsync("get");
        var mgetBefore = await CommandCallsAsync("mget");

        for (var i = 0; i < 20; i++)
        {
            var outcome = await store.ReadAsync<string>(new CacheKey("t", "k"), CancellationToken.None);
            Assert.True(outcome.Found);
            Assert.Equal("v", outcome.Value);
        }

        Assert.Equal(20, store.ReadBatcher!.Batches);
        Assert.Equal(20, store.ReadBatcher.BatchedReads);
        Assert.Equal(getBefore + 20, await CommandCallsAsync("get"));
        Assert.Equal(mgetBefore, await CommandCallsAsync("mget"));
    }

    [Fact]
    public async Task NoBatchCarriesMoreThanReadBatchMaxKeys()
    {
        var prefix = RedisServerFixture.UniquePrefix("batch-cap");
        using var store = Store(prefix, config => config.ReadBatchMaxKeys = 2);
        var reads = new List<Task<ReadOutcome<string>>>();
        _fixture.Server.Pause();
        try
        {
            for (var i = 0; i < 11; i++)
            {
                reads.Add(store.ReadAsync<string>(new CacheKey("t", $"k{i}"), CancellationToken.None).AsTask());
            }
        }
        finally
        {
            _fixture.Server.Resume();
        }

        foreach (var outcome in await Task.WhenAll(reads).WaitAsync(s_hang))
        {
            Assert.False(outcome.Found);
            Assert.Null(outcome.Failure);
        }

        // The first read alone, then at most two per command: at least 1 + 10 / 2 commands.
        Assert.Equal(11, store.ReadBatcher!.BatchedReads);
        Assert.True(store.ReadBatcher.Batches >= 6, $"11 reads went in {store.ReadBatcher.Batches} commands");
    }

    [Fact]
    public async Task ABatchedReadSeesEveryWriteThatCompletedBeforeIt()
    {
        var prefix = RedisServerFixture.UniquePrefix("batch-ryw");
        await using var cache = Cache(prefix);
        var callers = Enumerable.Range(0, 32).Select(caller => Task.Run(async () =>
        {
            for (var round = 0; round < 100; round++)
            {
                await cache.SetAsync($"k{caller}", round, tenantId: "t");
                Assert.Equal(round, await cache.GetAsync<int>($"k{caller}", "t", -1));
            }
        }));

        await Task.WhenAll(callers).WaitAsync(s_hang);
    }

    [Fact]
    public async Task AReadIssuedAfterAnInvalidationCompletesNeverSeesTheOldValue()
    {
        var prefix = RedisServerFixture.UniquePrefix("batch-stale");
        await using var cache = Cache(prefix);
        for (var i = 0; i < 50; i++)
        {
            await cache.SetAsync($"session:{i}", "old", tenantId: "t");
        }

        var invalidated = 0;
        var staleReads = 0;
        var readsAfter = 0;
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 24).Select(reader => Task.Run(async () =>
        {
            var i = reader;
            while (!stop.IsCancellationRequested)
            {
                var after = Volatile.Read(ref invalidated) == 1;
                var value = await cache.GetAsync<string>($"session:{i++ % 50}", "t");
                if (after)
                {
                    Interlocked.Increment(ref readsAfter);
                    if (value is not null)
                    {
                        Interlocked.Increment(ref staleReads);
                    }
                }
            }
        })).ToArray();

        Assert.Equal(50, await cache.InvalidateAsync("session:*", "t"));
        Volatile.Write(ref invalidated, 1);
        while (Volatile.Read(ref readsAfter) < 2_000)
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        await Task.WhenAll(readers).WaitAsync(s_hang);
        Assert.Equal(0, staleReads);
    }

    [Fact]
    public async Task ACallerThatBlocksOnAnotherReadFromItsContinuationIsNotStalled()
    {
        var prefix = RedisServerFixture.UniquePrefix("batch-block");
        await using var cache = Cache(prefix);
        await cache.SetAsync("a", 1);
        await cache.SetAsync("b", 2);

        // Sync over async inside the continuation of a batched read: the second read queues behind the batch being
        // resumed, which cannot finish until this caller returns. The timer must send it anyway.
        var callers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var a = await cache.GetAsync<int>("a");
            var b = cache.GetAsync<int>("b").AsTask().GetAwaiter().GetResult();
            return a + b;
        }));

        foreach (var sum in await Task.WhenAll(callers).WaitAsync(s_hang))
        {
            Assert.Equal(3, sum);
        }
    }

    [Fact]
    public async Task ACallerThatBlocksOnALaterReadOfItsOwnBatchIsNotStalled()
    {
        var prefix = RedisServerFixture.UniquePrefix("batch-block-same");
        await using var cache = Cache(prefix, config => config.ReadBatchMaxKeys = 2);
        await cache.SetAsync("a", 1);
        await cache.SetAsync("b", 2);
        await cache.SetAsync("r", 0);

        // "r" alone in flight; "a" and "b" fill a batch of two, sent at once as one MGET. Its answer resumes "a"'s
        // caller on the answering thread, which then blocks on "b": the next read of the same batch, which only that
        // thread would resume. The timer must notice and hand "b" to another thread.
        Task<int> inFlight, caller;
        _fixture.Server.Pause();
        try
        {
            inFlight = cache.GetAsync<int>("r").AsTask();
            var a = cache.GetAsync<int>("a").AsTask();
            var b = cache.GetAsync<int>("b").AsTask();
            caller = Task.Run(async () =>
            {
                var first = await a;
                return first + b.GetAwaiter().GetResult();
            });
        }
        finally
        {
            _fixture.Server.Resume();
        }

        Assert.Equal(3, await caller.WaitAsync(s_hang));
        Assert.Equal(0, await inFlight.WaitAsync(s_hang));

        // And batching goes on afterwards: reads issued together still go as one command.
        using var store = Store(prefix);
        await store.WriteAsync(new CacheKey(null, "c"), "C", TimeSpan.FromHours(1), CancellationToken.None);
        _fixture.Server.Pause();
        List<Task<ReadOutcome<string>>> reads;
        try
        {
            reads = [.. Enumerable.Range(0, 5).Select(_ => store.ReadAsync<string>(new CacheKey(null, "c"), CancellationToken.None).AsTask())];
        }
        finally
        {
            _fixture.Server.Resume();
        }

        Assert.All(await Task.WhenAll(reads).WaitAsync(s_hang), outcome => Assert.Equal("C", outcome.Value));
        Assert.True(store.ReadBatcher!.Batches < 5, $"5 reads went in {store.ReadBatcher.Batches} commands");
    }

    [Fact]
    public async Task AReadWaitingBehindACommandInFlightIsSentOnceTheClockPassesTheBoundAndNotBefore()
    {
        var prefix = RedisServerFixture.UniquePrefix("batch-bound");
        await _fixture.Raw.StringSetAsync(prefix + "a", "A");
        await _fixture.Raw.StringSetAsync(prefix + "b", "B");
        var time = new FakeTimeProvider();
        using var batcher = new DragonflyReadBatcher(_fixture.Raw, 100, static () => false, time);

        // The first read's caller blocks its resuming thread: the command stays in flight for the batcher.
        var firstMayReturn = new ManualResetEventSlim();
        var first = new CallerRead(_ => firstMayReturn.Wait(s_hang));
        batcher.Enqueue(prefix + "a", first);
        var waiting = new CallerRead(null);
        batcher.Enqueue(prefix + "b", waiting);
        Assert.Equal("A", await first.Value.WaitAsync(s_hang));

        time.Advance(DragonflyReadBatcher.MaxWait - TimeSpan.FromTicks(1));
        Assert.Equal(1, batcher.Batches);
        Assert.False(waiting.Answered.IsSet);

        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(2, batcher.Batches);
        Assert.Equal("B", await waiting.Value.WaitAsync(s_hang));
        firstMayReturn.Set();
        Assert.True(first.Returned.Wait(s_hang));
    }

    [Fact]
    public async Task BlockingOnTheReturnedValueTaskWaitsForTheRead()
    {
        var prefix = RedisServerFixture.UniquePrefix("batch-block-valuetask");
        await using var cache = Cache(prefix);
        await cache.SetAsync("k", "v");
        Task<string?> blocked;
        _fixture.Server.Pause();
        try
        {
            // Against the ValueTask rules, but common: .GetAwaiter().GetResult() on a read that has not completed.
#pragma warning disable CA2012 // the misuse under test
            blocked = Task.Run(() => cache.GetAsync<string>("k").GetAwaiter().GetResult());
#pragma warning restore CA2012
            while (blocked.Status is TaskStatus.WaitingForActivation or TaskStatus.WaitingToRun)
            {
                await Task.Delay(5);
            }
        }
        finally
        {
            _fixture.Server.Resume();
        }

        Assert.Equal("v", await blocked.WaitAsync(s_hang));
    }

    [Fact]
    public async Task CancellingOneQueuedReadLeavesTheOthersOfItsBatch()
    {
        var prefix = RedisServerFixture.UniquePrefix("batch-cancel");
        await using var cache = Cache(prefix);
        await cache.SetAsync("a", "A");
        await cache.SetAsync("b", "B");
        using var cancel = new CancellationTokenSource();
        Task<string?> first, cancelled, second;
        _fixture.Server.Pause();
        try
        {
            first = cache.GetAsync<string>("a").AsTask();
            cancelled = cache.GetAsync<string>("a", cancellationToken: cancel.Token).AsTask();
            second = cache.GetAsync<string>("b").AsTask();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(s_hang));
        }
        finally
        {
            _fixture.Server.Resume();
        }

        Assert.Equal("A", await first.WaitAsync(s_hang));
        Assert.Equal("B", await second.WaitAsync(s_hang));
    }

    [Fact]
    public async Task WhenTheServerStopsAnsweringEveryQueuedReadFailsAndNoneHangs()
    {
        var prefix = RedisServerFixture.UniquePrefix("batch-outage");
        await using var cache = Cache(prefix, config => config.OperationTimeout = TimeSpan.FromSeconds(2));
        await using var recovering = Cache(prefix, config =>
        {
            config.EnableRecovery = true;
            config.OperationTimeout = TimeSpan.FromSeconds(2);
        });
        await cache.SetAsync("k", "v");
        Assert.Equal("v", await recovering.GetAsync<string>("k"));

        var failing = new List<Task<string?>>();
        var missing = new List<Task<string?>>();
        _fixture.Server.Pause();
        try
        {
            for (var i = 0; i < 30; i++)
            {
                failing.Add(cache.GetAsync<string>("k").AsTask());
                missing.Add(recovering.GetAsync<string>("k").AsTask());
            }

            foreach (var read in failing)
            {
                await Assert.ThrowsAsync<CacheBackendException>(() => read.WaitAsync(s_hang));
            }

            foreach (var read in missing)
            {
                Assert.Null(await read.WaitAsync(s_hang));
            }
        }
        finally
        {
            _fixture.Server.Resume();
        }

        Assert.Equal(30, cache.GetStats().BackendFailures);
        Assert.Equal("v", await cache.GetAsync<string>("k"));
    }

    [Fact]
    public async Task AnUnreadableValueInABatchIsAMissAndIsRemoved()
    {
        var prefix = RedisServerFixture.UniquePrefix("batch-corrupt");
        await using var cache = Cache(prefix);
        await cache.SetAsync("good", "fine", tenantId: "t");
        var corruptKey = RedisServerFixture.ServerKey(prefix, "t", "bad");
        var wrongTypeKey = RedisServerFixture.ServerKey(prefix, "t", "list");
        await _fixture.Raw.StringSetAsync(corruptKey, "garbage");
        await _fixture.Raw.ListRightPushAsync(wrongTypeKey, "item");

        Task<string?> first, good, bad, list;
        _fixture.Server.Pause();
        try
        {
            // The first read stays in flight; the three after it queue and go as one MGET.
            first = cache.GetAsync<string>("good", "t").AsTask();
            good = cache.GetAsync<string>("good", "t").AsTask();
            bad = cache.GetAsync<string>("bad", "t").AsTask();
            list = cache.GetAsync<string>("list", "t").AsTask();
        }
        finally
        {
            _fixture.Server.Resume();
        }

        Assert.Equal("fine", await first.WaitAsync(s_hang));
        Assert.Equal("fine", await good.WaitAsync(s_hang));
        Assert.Null(await bad.WaitAsync(s_hang));
        Assert.Null(await list.WaitAsync(s_hang));
        Assert.False(await _fixture.Raw.KeyExistsAsync(corruptKey));
        // The list is counted too if it went alone, as a GET (WRONGTYPE); in an MGET it reads as absent.
        Assert.InRange(cache.GetStats("t").CorruptPayloads, 1, 2);
    }

    [Fact]
    public async Task AnUnreadableValueReadInABatchIsLoggedInItsCallersContext()
    {
        var prefix = RedisServerFixture.UniquePrefix("batch-log-context");
        var logs = new Recovery.RecordingLoggerFactory();
        await using var cache = Cache(prefix, config => config.LoggerFactory = logs);
        await cache.SetAsync("r", "x");
        await _fixture.Raw.StringSetAsync(RedisServerFixture.ServerKey(prefix, "t", "bad"), "garbage");

        // "r" in flight, read outside any activity; "bad" queued behind it, read inside one. Its answer is handled on
        // another thread, yet the corrupt value's log line must carry the reader's trace.
        Task<string?> first, bad;
        string expectedTrace;
        _fixture.Server.Pause();
        try
        {
            first = cache.GetAsync<string>("r").AsTask();
            using var activity = new System.Diagnostics.Activity("reader").Start();
            expectedTrace = activity.TraceId.ToHexString();
            bad = cache.GetAsync<string>("bad", "t").AsTask();
        }
        finally
        {
            _fixture.Server.Resume();
        }

        Assert.Equal("x", await first.WaitAsync(s_hang));
        Assert.Null(await bad.WaitAsync(s_hang));
        var line = Assert.Single(logs.Lines, line => line.Message.Contains(":bad", StringComparison.Ordinal));
        Assert.Equal(expectedTrace, line.TraceId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WithReadBatchingOffEveryReadIsItsOwnGet(bool offByOneKeyBatches)
    {
        // Off in code (ReadBatching = null) or from configuration (ReadBatching:MaxKeys = 1, a batch of one key).
        var prefix = RedisServerFixture.UniquePrefix("batch-off");
        using var store = Store(prefix, config => config.ReadBatching = offByOneKeyBatches ? new ReadBatchingOptions { MaxKeys = 1 } : null);
        Assert.Null(store.ReadBatcher);
        var mgetBefore = await CommandCallsAsync("mget");
        var reads = new List<Task<ReadOutcome<string>>>();
        _fixture.Server.Pause();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                reads.Add(store.ReadAsync<string>(new CacheKey("t", $"k{i}"), CancellationToken.None).AsTask());
            }
        }
        finally
        {
            _fixture.Server.Resume();
        }

        await Task.WhenAll(reads).WaitAsync(s_hang);
        Assert.Equal(mgetBefore, await CommandCallsAsync("mget"));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(10_001)]
    public void AReadBatchMaxKeysOutOfRangeIsRefusedWithWhatIsAllowed(int maxKeys)
    {
        var config = new CacheConfig { ReadBatching = new() { MaxKeys = maxKeys } };
        var error = Assert.Throws<ArgumentException>(config.Validate);
        Assert.Contains($"ReadBatching.MaxKeys is {maxKeys}; use 2 to 10,000 keys", error.Message, StringComparison.Ordinal);
        Assert.Contains("or 1 (or ReadBatching = null) to send every read alone", error.Message, StringComparison.Ordinal);
    }

    private CacheMechanism Cache(string prefix, Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig { KeyPrefix = prefix, EnableRecovery = false, OperationTimeout = TimeSpan.FromSeconds(30) };
        _fixture.Configure(config);
        configure?.Invoke(config);
        return new CacheMechanism(config);
    }

    private DragonflyStore Store(string prefix, Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig { KeyPrefix = prefix, EnableRecovery = false, OperationTimeout = TimeSpan.FromSeconds(30) };
        _fixture.Configure(config);
        configure?.Invoke(config);
        return new DragonflyStore(config, new CacheCounters());
    }

    // How many times the server ran a command (INFO commandstats): what went over the wire, counted by the server.
    private async Task<long> CommandCallsAsync(string command)
    {
        var info = (string?)await _fixture.Raw.ExecuteAsync("INFO", "commandstats") ?? string.Empty;
        foreach (var line in info.Split('\n'))
        {
            if (line.StartsWith($"cmdstat_{command}:calls=", StringComparison.Ordinal))
            {
                var calls = line[$"cmdstat_{command}:calls=".Length..];
                return long.Parse(calls[..calls.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
