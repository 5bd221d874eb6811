namespace Motadata.Cache.Tests.Contract;

public abstract partial class CacheContractTests
{
    [Fact]
    public async Task WhenKeyIsCachedGetOrSetReturnsItWithoutRunningTheFactory()
    {
        var cache = CreateCache();
        cache.Set("key", "cached", tenantId: "t");
        var runs = 0;

        var value = await cache.GetOrSetAsync("key", _ => { runs++; return ValueTask.FromResult("made"); }, tenantId: "t");

        Assert.Equal("cached", value);
        Assert.Equal(0, runs);
        Assert.Equal(1, cache.GetStats("t").Hits);
        Assert.Equal(0, cache.GetStats("t").Misses);
    }

    [Fact]
    public async Task WhenKeyIsMissingGetOrSetCachesWhatTheFactoryMakes()
    {
        var cache = CreateCache();
        var runs = 0;

        var first = await cache.GetOrSetAsync("key", async ct => { runs++; await Task.Yield(); return new Customer(7, "made", ["x"]); }, tenantId: "t");
        var second = await cache.GetOrSetAsync("key", _ => { runs++; return ValueTask.FromResult(new Customer(8, "again", [])); }, tenantId: "t");

        Assert.Equal(1, runs);
        Assert.Equal("made", first.Name);
        Assert.Equal("made", second.Name);
        var stats = cache.GetStats("t");
        Assert.Equal((1L, 1L, 1L), (stats.Sets, stats.Misses, stats.Hits));
        Assert.Equal("made", cache.Get<Customer>("key", "t")?.Name);
        Assert.Null(cache.Get<Customer>("key"));
    }

    [Fact]
    public async Task WhenTheFactoryReturnsNullTheNullIsCached()
    {
        var cache = CreateCache();
        var runs = 0;

        Assert.Null(await cache.GetOrSetAsync<string?>("key", _ => { runs++; return ValueTask.FromResult<string?>(null); }));
        Assert.Null(await cache.GetOrSetAsync<string?>("key", _ => { runs++; return ValueTask.FromResult<string?>("late"); }));

        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task WhenGetOrSetIsGivenATtlTheValueExpiresAndTheFactoryRunsAgain()
    {
        var cache = CreateCache(c => c.Ttl = ShortTtl);
        var runs = 0;
        ValueTask<int> Factory(CancellationToken _) => ValueTask.FromResult(Interlocked.Increment(ref runs));

        Assert.Equal(1, await cache.GetOrSetAsync("short", Factory, ShortTtl, "t"));
        Assert.Equal(2, await cache.GetOrSetAsync("default", Factory, tenantId: "t"));
        Assert.Equal(3, await cache.GetOrSetAsync("long", Factory, LongTtl, "t"));

        await AdvanceTimeAsync(PastShortTtl);

        Assert.Equal(4, await cache.GetOrSetAsync("short", Factory, ShortTtl, "t"));
        Assert.Equal(5, await cache.GetOrSetAsync("default", Factory, tenantId: "t"));
        Assert.Equal(3, await cache.GetOrSetAsync("long", Factory, LongTtl, "t"));
    }

    [Fact]
    public async Task WhenManyCallersAskForTheSameMissingKeyTheFactoryRunsExactlyOnce()
    {
        const int Callers = 24;
        var cache = CreateCache();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;

        var callers = Enumerable.Range(0, Callers)
            .Select(_ => Task.Run(async () => await cache.GetOrSetAsync("key", async _ =>
            {
                Interlocked.Increment(ref runs);
                await gate.Task;
                return "made";
            }, tenantId: "t")))
            .ToArray();
        await WaitUntilAsync(() => cache.WaitingCallers<string>("key", "t") == Callers, "every caller waits on the one factory");
        gate.SetResult();
        var values = await Task.WhenAll(callers);

        Assert.Equal(1, runs);
        Assert.All(values, v => Assert.Equal("made", v));
        var stats = cache.GetStats("t");
        Assert.Equal(Callers, stats.Misses);
        Assert.Equal(0, stats.Hits);
        Assert.Equal(1, stats.Sets);
        Assert.Equal("made", cache.Get<string>("key", "t"));
    }

    [Fact]
    public async Task WhenManyCallersRaceOnManyKeysEachFactoryRunsExactlyOnce()
    {
        const int Keys = 100;
        const int CallersPerKey = 8;
        var cache = CreateCache();
        var runs = new int[Keys];

        var callers = Enumerable.Range(0, Keys * CallersPerKey)
            .Select(i => Task.Run(async () =>
            {
                var key = i % Keys;
                return (key, value: await cache.GetOrSetAsync($"k{key}", _ =>
                {
                    Interlocked.Increment(ref runs[key]);
                    return ValueTask.FromResult(key);
                }, tenantId: "t"));
            }))
            .ToArray();
        var results = await Task.WhenAll(callers);

        Assert.All(results, r => Assert.Equal(r.key, r.value));
        Assert.Equal(Enumerable.Repeat(1, Keys), runs);
        var stats = cache.GetStats("t");
        Assert.Equal(Keys * CallersPerKey, stats.Hits + stats.Misses);
        Assert.Equal(Keys, stats.Sets);
    }

    [Fact]
    public async Task WhenTheFactoryThrowsEveryWaiterSeesTheExceptionAndNothingIsCached()
    {
        const int Callers = 10;
        var cache = CreateCache();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;

        var callers = Enumerable.Range(0, Callers)
            .Select(_ => Task.Run(async () => await cache.GetOrSetAsync<string>("key", async _ =>
            {
                Interlocked.Increment(ref runs);
                await gate.Task;
                throw new InvalidOperationException("factory failed");
            }, tenantId: "t")))
            .ToArray();
        await WaitUntilAsync(() => cache.WaitingCallers<string>("key", "t") == Callers, "every caller waits on the one factory");
        gate.SetResult();

        foreach (var caller in callers)
        {
            var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => caller);
            Assert.Equal("factory failed", exception.Message);
        }

        Assert.Equal(1, runs);
        Assert.False(cache.TryGet<string>("key", out _, "t"));
        Assert.Equal(0, cache.GetStats("t").Sets);
        Assert.Equal(0, (await cache.GetUsageAsync("t")).Size);

        Assert.Equal("second try", await cache.GetOrSetAsync("key", _ => ValueTask.FromResult("second try"), tenantId: "t"));
        Assert.Equal("second try", cache.Get<string>("key", "t"));
    }

    [Fact]
    public async Task WhenTheFactoryThrowsSynchronouslyTheCallerSeesTheException()
    {
        var cache = CreateCache();

        await Assert.ThrowsAsync<FormatException>(async () =>
            await cache.GetOrSetAsync<int>("key", _ => throw new FormatException("bad")));

        Assert.False(cache.TryGet<int>("key", out _));
        Assert.Equal(5, await cache.GetOrSetAsync("key", _ => ValueTask.FromResult(5)));
    }

    [Fact]
    public async Task WhenOneCallerCancelsTheOthersStillGetTheValue()
    {
        var cache = CreateCache();
        var factory = new GatedFactory("made");
        using var first = new CancellationTokenSource();

        // The caller that starts the factory is the one that gives up: the factory must go on for the other.
        var starter = cache.GetOrSetAsync("key", factory.RunAsync, tenantId: "t", cancellationToken: first.Token).AsTask();
        await factory.Started.WaitAsync(TimeSpan.FromSeconds(10));
        var patient = cache.GetOrSetAsync("key", factory.RunAsync, tenantId: "t").AsTask();
        await WaitUntilAsync(() => cache.WaitingCallers<string>("key", "t") == 2, "both callers wait");

        await first.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starter);
        Assert.False(factory.Token.IsCancellationRequested);
        Assert.False(patient.IsCompleted);
        factory.Release();
        Assert.Equal("made", await patient.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, factory.Runs);
        Assert.Equal("made", cache.Get<string>("key", "t"));
    }

    [Fact]
    public async Task WhenEveryCallerCancelsTheFactoryTokenIsCancelledAndNothingIsCached()
    {
        var cache = CreateCache();
        var factory = new GatedFactory("made");
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();

        var one = cache.GetOrSetAsync("key", factory.RunAsync, tenantId: "t", cancellationToken: first.Token).AsTask();
        await factory.Started.WaitAsync(TimeSpan.FromSeconds(10));
        var two = cache.GetOrSetAsync("key", factory.RunAsync, tenantId: "t", cancellationToken: second.Token).AsTask();
        await WaitUntilAsync(() => cache.WaitingCallers<string>("key", "t") == 2, "both callers wait");

        await first.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => one);
        Assert.False(factory.Token.IsCancellationRequested);
        await second.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => two);

        await factory.Cancelled.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, factory.Runs);
        Assert.False(cache.TryGet<string>("key", out _, "t"));
        Assert.Equal("fresh", await cache.GetOrSetAsync("key", _ => ValueTask.FromResult("fresh"), tenantId: "t"));
    }

    [Fact]
    public async Task WhenTheCacheIsDisposedTheRunningFactoryIsCancelled()
    {
        var cache = CreateCache();
        var factory = new GatedFactory("made");

        var waiter = cache.GetOrSetAsync("key", factory.RunAsync, tenantId: "t").AsTask();
        await factory.Started.WaitAsync(TimeSpan.FromSeconds(10));
        await WaitUntilAsync(() => cache.WaitingCallers<string>("key", "t") == 1, "the caller waits");

        await cache.DisposeAsync();

        await factory.Cancelled.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await cache.GetOrSetAsync("key", factory.RunAsync, tenantId: "t"));
    }

    /// <summary>A factory that waits for <see cref="Release"/> and reports when it started and whether its token was cancelled.</summary>
    private sealed class GatedFactory(string value)
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _runs;

        public Task Started => _started.Task;

        public Task Cancelled => _cancelled.Task;

        public CancellationToken Token { get; private set; }

        public int Runs => Volatile.Read(ref _runs);

        public void Release() => _gate.TrySetResult();

        public async ValueTask<string> RunAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _runs);
            Token = cancellationToken;
            // Not disposed on the way out: the wait below ends first when the token fires, and disposing would drop this callback.
            cancellationToken.Register(() => _cancelled.TrySetResult());
            _started.TrySetResult();
            await _gate.Task.WaitAsync(cancellationToken);
            return value;
        }
    }
}
