using Motadata.Cache.Tests.Dragonfly;
using Motadata.Cache.Tests.Infrastructure;
using StackExchange.Redis;

namespace Motadata.Cache.Tests.TwoLevel;

/// <summary>
/// Fleet single flight on a server without scripting (<c>EVAL</c>, <c>EVALSHA</c> and <c>SCRIPT</c> renamed away, as
/// Microsoft Garnet ships and as managed Redis offerings configure it): the lease is renewed while the factory runs
/// and released when it ends, and the fleet still runs the factory once.
/// </summary>
public sealed class FleetSingleFlightWithoutScriptingTests : TwoLevelTestsBase
{
    public FleetSingleFlightWithoutScriptingTests(RedisServerFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public async Task TheLeaseIsRenewedWhileTheFactoryRunsAndReleasedWhenItEndsAndTheFactoryRunsOnce()
    {
        await using var server = await RedisServer.StartAsync(extraArguments: "--rename-command EVAL \"\" --rename-command EVALSHA \"\" --rename-command SCRIPT \"\"");
        await using var raw = await ConnectionMultiplexer.ConnectAsync(server.EndPoint);
        var database = raw.GetDatabase();
        await Assert.ThrowsAsync<RedisServerException>(() => database.ScriptEvaluateAsync("return 1"));

        var holder = CreateScriptlessInstance(server);
        var other = CreateScriptlessInstance(server);
        var serverKey = RedisServerFixture.ServerKey(Prefix, "t", "answer", holder.Config.TenantPlacement);
        var leaseKey = Prefix + "lease:" + serverKey[Prefix.Length..];
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        Func<CancellationToken, ValueTask<string>> factory = async _ =>
        {
            Interlocked.Increment(ref runs);
            started.TrySetResult();
            await release.Task;
            return "paid once";
        };

        var first = holder.GetOrSetAsync("answer", factory, tenantId: "t").AsTask();
        await started.Task.WaitAsync(Patience);
        var second = other.GetOrSetAsync("answer", factory, tenantId: "t").AsTask();
        await EventuallyAsync(() => other.WaitingCallers<string>("answer", "t") > 0, "the other instance waits on the lease");

        // Renewed: its remaining time goes up again at least once (a lease never renewed only goes down, then is gone).
        var lowest = (long)await database.ExecuteAsync("PTTL", leaseKey);
        Assert.True(lowest > 0, $"the lease is held (PTTL {lowest})");
        await EventuallyAsync(
            () =>
            {
                var now = (long)database.Execute("PTTL", leaseKey);
                Assert.True(now > 0, $"the lease ran out while its factory ran (PTTL {now})");
                if (now > lowest)
                {
                    return true;
                }

                lowest = now;
                return false;
            },
            "the holder renews its lease");

        release.SetResult();
        Assert.Equal("paid once", await first.WaitAsync(Patience));
        Assert.False(await database.KeyExistsAsync(leaseKey), "the lease is released once the value is stored");
        Assert.Equal("paid once", await second.WaitAsync(Patience));
        Assert.Equal(1, Volatile.Read(ref runs));
    }

    private CacheMechanism CreateScriptlessInstance(RedisServer server) => CreateInstance(config =>
    {
        config.DragonflyUrl = server.Url;
        config.EnableFleetSingleFlight = true;
        config.FleetLeaseDuration = TimeSpan.FromSeconds(3);
    });
}
