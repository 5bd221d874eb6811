using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Tests.Dragonfly;

namespace Motadata.Cache.Tests.TwoLevel;

/// <summary>
/// Fleet-wide single flight (<see cref="CacheConfig.EnableFleetSingleFlight"/>): concurrent <c>GetOrSetAsync</c>
/// callers of one key on several instances run the factory once in the whole fleet; when the lease holder dies, another
/// instance takes over after its lease runs out, and every caller gets a value or the factory's error.
/// </summary>
public sealed class FleetSingleFlightTests : TwoLevelTestsBase
{
    private const int CallersPerInstance = 50;

    public FleetSingleFlightTests(RedisServerFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public async Task ThreeInstancesOfFiftyConcurrentCallersRunTheFactoryOnce()
    {
        var instances = new[] { CreateFleetInstance(), CreateFleetInstance(), CreateFleetInstance() };
        var runs = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var calls = new List<Task<string>>();
        foreach (var instance in instances)
        {
            for (var i = 0; i < CallersPerInstance; i++)
            {
                calls.Add(instance.GetOrSetAsync<string>(
                    "answer",
                    async _ =>
                    {
                        Interlocked.Increment(ref runs);
                        started.TrySetResult();
                        await release.Task;
                        return "paid once";
                    },
                    tenantId: "t").AsTask());
            }
        }

        // The factory holds until every instance has a caller waiting on the running flight, so all three really overlap.
        await started.Task.WaitAsync(Patience);
        await EventuallyAsync(() => instances.All(instance => instance.WaitingCallers<string>("answer", "t") > 0), "every instance has callers waiting");
        release.SetResult();

        var values = await Task.WhenAll(calls).WaitAsync(Patience);
        Assert.All(values, value => Assert.Equal("paid once", value));
        Assert.Equal(1, Volatile.Read(ref runs));
    }

    [Fact]
    public async Task WhenTheLeaseHolderIsDisposedMidFactoryAnotherInstanceRunsItAfterTheLeaseRunsOut()
    {
        var holder = CreateFleetInstance();
        var other = CreateFleetInstance();
        var holderStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var otherRuns = 0;

        var holderCalls = Enumerable.Range(0, 10).Select(_ => holder.GetOrSetAsync<string>(
            "answer",
            async token =>
            {
                holderStarted.TrySetResult();
                await Task.Delay(Timeout.Infinite, token);
                return "never";
            },
            tenantId: "t").AsTask()).ToList();
        await holderStarted.Task.WaitAsync(Patience);

        var otherCalls = Enumerable.Range(0, 10).Select(_ => other.GetOrSetAsync<string>(
            "answer",
            _ =>
            {
                Interlocked.Increment(ref otherRuns);
                return ValueTask.FromResult("taken over");
            },
            tenantId: "t").AsTask()).ToList();
        await EventuallyAsync(() => other.WaitingCallers<string>("answer", "t") > 0, "the other instance waits on the holder's lease");
        Assert.Equal(0, Volatile.Read(ref otherRuns));

        await holder.DisposeAsync();

        var values = await Task.WhenAll(otherCalls).WaitAsync(Patience);
        Assert.All(values, value => Assert.Equal("taken over", value));
        Assert.Equal(1, Volatile.Read(ref otherRuns));

        // The holder's callers end too: with the factory's error (cancelled by the dispose), never hanging.
        foreach (var call in holderCalls)
        {
            var failure = await Record.ExceptionAsync(() => call.WaitAsync(Patience));
            Assert.IsAssignableFrom<OperationCanceledException>(failure);
        }
    }

    [Fact]
    public async Task WhenTheHoldersFactoryFailsItsCallersGetTheErrorAndAnotherInstanceRunsItsOwn()
    {
        var holder = CreateFleetInstance();
        var other = CreateFleetInstance();
        // The factory runs only once the lease is taken.
        var (holderCall, fail) = await StartFailingHolderAsync(holder);
        var otherCall = other.GetOrSetAsync<string>("answer", _ => ValueTask.FromResult("second try"), tenantId: "t").AsTask();
        await EventuallyAsync(() => other.WaitingCallers<string>("answer", "t") > 0, "the other instance waits");

        fail.SetResult();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => holderCall.WaitAsync(Patience));
        Assert.Equal("the model refused", error.Message);
        Assert.Equal("second try", await otherCall.WaitAsync(Patience));
    }

    [Fact]
    public async Task OnceEveryWaitHasEndedNoInstanceKeepsAWakerForTheKey()
    {
        var holder = CreateFleetInstance();
        var other = CreateFleetInstance();
        var (holderCall, fail) = await StartFailingHolderAsync(holder);
        var otherCalls = Enumerable.Range(0, 5).Select(_ => other.GetOrSetAsync<string>("answer", _ => ValueTask.FromResult("second try"), tenantId: "t").AsTask()).ToList();
        await EventuallyAsync(() => other.LocalLevel!.Leases!.WaitingKeys == 1, "the other instance waits on the key");

        // No message wakes the other instance (a failed factory stores nothing): its poll does, and it takes over.
        fail.SetResult();
        await Assert.ThrowsAsync<InvalidOperationException>(() => holderCall.WaitAsync(Patience));
        Assert.All(await Task.WhenAll(otherCalls).WaitAsync(Patience), value => Assert.Equal("second try", value));

        Assert.Equal(0, other.LocalLevel!.Leases!.WaitingKeys);
        Assert.Equal(0, holder.LocalLevel!.Leases!.WaitingKeys);
    }

    [Fact]
    public async Task TheHolderRenewsItsLeaseEveryThirdOfItsDurationOnTheConfiguredClock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var duration = TimeSpan.FromMinutes(1);
        var holder = CreateInstance(config =>
        {
            config.EnableFleetSingleFlight = true;
            config.FleetLeaseDuration = duration;
            config.TimeProvider = time;
        });
        var leaseKey = LeaseKey(holder);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var call = holder.GetOrSetAsync<string>(
            "answer",
            async _ =>
            {
                started.TrySetResult();
                await release.Task;
                return "v";
            },
            tenantId: "t").AsTask();
        await started.Task.WaitAsync(Patience);

        // As if most of the lease had passed on the server: only a renewal can bring its remaining time back up.
        Assert.True(await Fixture.Raw.KeyExpireAsync(leaseKey, TimeSpan.FromSeconds(30)));
        Assert.InRange((long)await Fixture.Raw.ExecuteAsync("PTTL", leaseKey), 1, 30_000);

        time.Advance(duration / 3);
        await EventuallyAsync(() => (long)Fixture.Raw.Execute("PTTL", leaseKey) > 30_000, "the holder renews its lease");

        release.SetResult();
        Assert.Equal("v", await call.WaitAsync(Patience));
        Assert.False(await Fixture.Raw.KeyExistsAsync(leaseKey), "the lease is released once the value is stored");
    }

    [Fact]
    public async Task AWaitingInstanceLooksAgainEachPollIntervalOnTheConfiguredClockAndTakesOverALeaseThatIsGone()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var instance = CreateInstance(config =>
        {
            config.EnableFleetSingleFlight = true;
            config.FleetLeaseDuration = TimeSpan.FromMinutes(1);
            config.TimeProvider = time;
        });
        var leaseKey = LeaseKey(instance);

        // A lease left by an instance that died mid-factory, living long on the server.
        Assert.True(await Fixture.Raw.StringSetAsync(leaseKey, "dead-instance:1", TimeSpan.FromMinutes(1), StackExchange.Redis.When.NotExists));
        var runs = 0;
        var call = instance.GetOrSetAsync<string>(
            "answer",
            _ =>
            {
                Interlocked.Increment(ref runs);
                return ValueTask.FromResult("taken over");
            },
            tenantId: "t").AsTask();
        await EventuallyAsync(() => instance.LocalLevel!.Leases!.WaitingKeys == 1, "the instance waits on the lease");

        // The lease goes (it ran out on the server); no message says so: the next poll, on the clock, finds it gone.
        Assert.True(await Fixture.Raw.KeyDeleteAsync(leaseKey));
        Assert.Equal(0, Volatile.Read(ref runs));
        time.Advance(instance.LocalLevel!.Leases!.PollInterval);

        Assert.Equal("taken over", await call.WaitAsync(Patience));
        Assert.Equal(1, Volatile.Read(ref runs));
        Assert.Equal(0, instance.LocalLevel.Leases.WaitingKeys);
    }

    [Fact]
    public async Task AnInstanceWaitsOnALeaseWhoseHolderIsGoneAndRunsTheFactoryOnceItRunsOut()
    {
        var instance = CreateFleetInstance();
        var serverKey = RedisServerFixture.ServerKey(Prefix, "t", "answer", instance.Config.TenantPlacement);
        var leaseKey = Prefix + "lease:" + serverKey[Prefix.Length..];

        // A lease left by an instance that died mid-factory: nobody renews it.
        Assert.True(await Fixture.Raw.StringSetAsync(leaseKey, "dead-instance:1", TimeSpan.FromSeconds(1), StackExchange.Redis.When.NotExists));
        var runs = 0;
        var call = instance.GetOrSetAsync<string>(
            "answer",
            _ =>
            {
                Interlocked.Increment(ref runs);
                return ValueTask.FromResult("taken over");
            },
            tenantId: "t").AsTask();

        Assert.Equal("taken over", await call.WaitAsync(Patience));
        Assert.Equal(1, runs);
        Assert.False(await Fixture.Raw.KeyExistsAsync(leaseKey), "the lease taken over is released once the value is stored");
        Assert.Equal("taken over", instance.Get<string>("answer", "t"));
    }

    [Fact]
    public void FleetSingleFlightWithoutTheLocalLevelIsRefused()
    {
        var exception = Assert.Throws<ArgumentException>(() => CreateInstance(config =>
        {
            config.EnableLocalLevel = false;
            config.EnableFleetSingleFlight = true;
        }));
        Assert.Contains("EnableFleetSingleFlight", exception.Message, StringComparison.Ordinal);
    }

    private string LeaseKey(CacheMechanism instance)
    {
        var serverKey = RedisServerFixture.ServerKey(Prefix, "t", "answer", instance.Config.TenantPlacement);
        return Prefix + "lease:" + serverKey[Prefix.Length..];
    }

    private CacheMechanism CreateFleetInstance() => CreateInstance(config =>
    {
        config.EnableFleetSingleFlight = true;
        config.FleetLeaseDuration = TimeSpan.FromSeconds(1);
    });

    /// <summary>
    /// Starts <c>GetOrSetAsync("answer")</c> on <paramref name="holder"/> with a factory that waits for the returned
    /// source and then throws "the model refused"; returns once the factory runs (the lease is taken).
    /// </summary>
    private static async Task<(Task<string> Call, TaskCompletionSource Fail)> StartFailingHolderAsync(CacheMechanism holder)
    {
        var fail = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var call = holder.GetOrSetAsync<string>(
            "answer",
            async _ =>
            {
                started.TrySetResult();
                await fail.Task;
                throw new InvalidOperationException("the model refused");
            },
            tenantId: "t").AsTask();
        await started.Task.WaitAsync(Patience);
        return (call, fail);
    }
}
