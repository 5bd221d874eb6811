using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Tests.Infrastructure;
using Polly.CircuitBreaker;

namespace Motadata.Cache.Tests.Recovery;

/// <summary>
/// Automatic recovery against a real <c>redis-server</c> broken for real: paused (SIGSTOP, a partition), killed and
/// restarted empty on the same port, or made slow (<c>DEBUG SLEEP</c>). Each test has its own server. Assertions are
/// on results, counters, breaker state and health, never on how long something took; waits for recovery are bounded
/// only so that a broken build fails instead of hanging.
/// </summary>
public sealed class RecoveryTests
{
    private static readonly TimeSpan s_operationTimeout = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_breakDuration = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(30);

    // Every cache of one test shares this prefix, so a second instance sees the first one's keys.
    private readonly string _keyPrefix = $"recovery-{Guid.NewGuid():N}:";

    [Fact]
    public async Task WhenTheServerIsPausedNoCallThrowsAndEachFailsOpen()
    {
        await using var server = await RedisServer.StartAsync();
        await using var cache = CreateCache(server);
        Assert.True(await ServedAsync(cache, () => cache.SetAsync("k", "v", tenantId: "t1").AsTask()));

        server.Pause();
        try
        {
            Assert.Null(cache.Get<string>("k", tenantId: "t1"));
            Assert.Null(await cache.GetAsync<string>("k", tenantId: "t1"));
            Assert.Empty(await cache.GetManyAsync<string>(["k", "other"], tenantId: "t1"));
            Assert.False(cache.Set("k2", "v2", tenantId: "t1"));
            Assert.False(await cache.SetAsync("k3", "v3", tenantId: "t1"));
            Assert.Equal(0, cache.WarmCache(new Dictionary<string, string> { ["w1"] = "x" }, tenantId: "t1"));
            Assert.Equal(0, await cache.WarmCacheAsync(new Dictionary<string, string> { ["w2"] = "x" }, tenantId: "t1"));
            Assert.False(cache.Delete("k", tenantId: "t1"));
            Assert.False(await cache.DeleteAsync("k", tenantId: "t1"));
            Assert.Equal(0, cache.Invalidate("user_*", tenantId: "t1"));
            Assert.Equal(0, await cache.InvalidateAsync("user_*", tenantId: "t1"));
            Assert.Equal(0, cache.Clear("t2"));
            Assert.Equal(0, await cache.ClearAsync("t2"));
            Assert.Equal(0, (await cache.GetStatsAsync("t1")).Size);
            Assert.Equal(0, (await cache.GetUsageAsync("t1")).Size);
            Assert.Equal("fresh", await cache.GetOrSetAsync("gos", _ => ValueTask.FromResult("fresh"), tenantId: "t1"));

            var stats = cache.GetStats();
            Assert.True(stats.BackendFailures > 0);
            Assert.NotEqual(CacheHealthStatus.Healthy, cache.Health.Status);
        }
        finally
        {
            server.Resume();
        }
    }

    [Fact]
    public async Task WhenAHealthyAsyncGetTimesOutItIsOneMissAndOneFailureAndRecoveryStarts()
    {
        await using var server = await RedisServer.StartAsync();
        await using var cache = CreateCache(server);
        Assert.True(await ServedAsync(cache, () => cache.SetAsync("k", "v", tenantId: "t1").AsTask()));
        Assert.Equal("v", await ServedAsync(cache, () => cache.GetAsync<string>("k", tenantId: "t1").AsTask()));
        Assert.Equal(CacheHealthStatus.Healthy, cache.Health.Status);

        server.Pause();
        try
        {
            var before = cache.GetStats("t1");
            var failuresBefore = cache.BackendFailures;

            // The first failure of a healthy cache surfaces while the store waits for the reply.
            Assert.Equal("fallback", await cache.GetAsync("k", tenantId: "t1", defaultValue: "fallback"));

            var after = cache.GetStats("t1");
            Assert.Equal(before.Misses + 1, after.Misses);
            Assert.Equal(before.Hits, after.Hits);
            // At least this call's failure; the recovery loop it started may already have failed a probe too.
            Assert.True(cache.BackendFailures > failuresBefore);
            Assert.NotEqual(CacheHealthStatus.Healthy, cache.Health.Status);
        }
        finally
        {
            server.Resume();
        }
    }

    [Fact]
    public async Task WhileTheBreakerIsOpenABurstOfCallsFinishesWithoutTouchingTheServer()
    {
        await using var server = await RedisServer.StartAsync();

        // A long break, so no probe runs during the burst and the failure count can be compared exactly.
        await using var cache = CreateCache(server, config => config.RecoveryBreakDuration = TimeSpan.FromMinutes(5));
        Assert.True(await ServedAsync(cache, () => cache.SetAsync("k", "v").AsTask()));

        server.Pause();
        try
        {
            await DriveUntilAsync(cache, CacheHealthStatus.Unavailable);
            var before = cache.GetStats();
            Assert.True(before.BreakerOpenings >= 1);
            Assert.Equal(CircuitState.Open, cache.BreakerState);

            const int Calls = 500;
            var gets = new Task<string?>[Calls];
            for (var i = 0; i < Calls; i++)
            {
                gets[i] = cache.GetAsync<string>("k").AsTask();
            }

            var results = await Task.WhenAll(gets);
            var sets = 0;
            for (var i = 0; i < Calls; i++)
            {
                sets += cache.Set($"s{i}", i) ? 1 : 0;
                cache.Delete($"d{i}");
            }

            var after = cache.GetStats();
            Assert.All(results, Assert.Null);
            Assert.Equal(0, sets);
            Assert.Equal(before.Misses + Calls, after.Misses);
            Assert.Equal(before.BackendFailures, after.BackendFailures);
            Assert.Equal(CacheHealthStatus.Unavailable, cache.Health.Status);
            Assert.Equal(CircuitState.Open, cache.BreakerState);
        }
        finally
        {
            server.Resume();
        }
    }

    [Fact]
    public async Task AfterAPauseASecondInstanceNeverSeesWhatWasDeletedInvalidatedOrClearedDuringIt()
    {
        await using var server = await RedisServer.StartAsync();
        await using var first = CreateCache(server);
        await using var second = CreateReader(server);
        foreach (var key in new[] { "deleted", "user_1", "user_2", "kept" })
        {
            Assert.True(await ServedAsync(first, () => first.SetAsync(key, "old", tenantId: "t1").AsTask()));
        }

        Assert.True(await ServedAsync(first, () => first.SetAsync("any", "old", tenantId: "t2").AsTask()));
        Assert.True(await ServedAsync(first, () => first.SetAsync("global", "old").AsTask()));
        Assert.Equal("old", await ReadOnServerAsync(second, "user_1", tenantId: "t1"));

        server.Pause();
        try
        {
            Assert.False(await first.DeleteAsync("deleted", tenantId: "t1"));
            Assert.Equal(0, first.Invalidate("user_*", tenantId: "t1"));
            Assert.Equal(0, await first.ClearAsync("t2"));
            Assert.False(first.Delete("global"));
            Assert.Equal(4, first.PendingRemovals);

            // Reads through the instance that invalidated never see the old values, during the outage either.
            Assert.Null(await first.GetAsync<string>("deleted", tenantId: "t1"));
            Assert.Null(first.Get<string>("user_2", tenantId: "t1"));
        }
        finally
        {
            server.Resume();
        }

        // Still misses before the replay is known to be done: nothing is read from the server until it is.
        Assert.Null(await first.GetAsync<string>("user_1", tenantId: "t1"));

        await first.WaitForRecoveryAsync().WaitAsync(s_patience);
        Assert.Equal(CacheHealthStatus.Healthy, first.Health.Status);
        Assert.True(first.GetStats().ReplayedOperations >= 4);
        Assert.Equal(0, first.PendingRemovals);

        Assert.Null(await ReadOnServerAsync(second, "deleted", tenantId: "t1"));
        Assert.Null(await ReadOnServerAsync(second, "user_1", tenantId: "t1"));
        Assert.Null(await ReadOnServerAsync(second, "user_2", tenantId: "t1"));
        Assert.Null(await ReadOnServerAsync(second, "any", tenantId: "t2"));
        Assert.Null(await ReadOnServerAsync(second, "global"));
        Assert.Equal("old", await ReadOnServerAsync(second, "kept", tenantId: "t1"));
        Assert.Equal("old", await ServedAsync(first, () => first.GetAsync<string>("kept", tenantId: "t1").AsTask()));
    }

    [Fact]
    public async Task AClearOfEverythingDuringAPauseIsReplayed()
    {
        await using var server = await RedisServer.StartAsync();
        await using var first = CreateCache(server);
        await using var second = CreateReader(server);
        Assert.True(await ServedAsync(first, () => first.SetAsync("a", "old", tenantId: "t1").AsTask()));
        Assert.True(await ServedAsync(first, () => first.SetAsync("b", "old").AsTask()));

        server.Pause();
        try
        {
            Assert.Equal(0, await first.ClearAsync());
        }
        finally
        {
            server.Resume();
        }

        await first.WaitForRecoveryAsync().WaitAsync(s_patience);
        Assert.Null(await ReadOnServerAsync(second, "a", tenantId: "t1"));
        Assert.Null(await ReadOnServerAsync(second, "b"));
    }

    [Fact]
    public async Task ASetThatFailedDuringAPauseLeavesNoOlderValueOnTheServer()
    {
        await using var server = await RedisServer.StartAsync();
        await using var first = CreateCache(server);
        await using var second = CreateReader(server);
        Assert.True(await ServedAsync(first, () => first.SetAsync("k", "v1").AsTask()));

        server.Pause();
        try
        {
            Assert.False(await first.SetAsync("k", "v2"));
        }
        finally
        {
            server.Resume();
        }

        await first.WaitForRecoveryAsync().WaitAsync(s_patience);

        // v2 never made it, and v1 is what the caller meant to replace: neither may be served.
        Assert.Null(await ReadOnServerAsync(second, "k"));
        Assert.True(await ServedAsync(first, () => first.SetAsync("k", "v3").AsTask()));
        Assert.Equal("v3", await ReadOnServerAsync(second, "k"));
    }

    [Fact]
    public async Task WhenTheJournalOverflowsTheTenantIsClearedOnReconnectAndOtherTenantsAreKept()
    {
        await using var server = await RedisServer.StartAsync();
        await using var first = CreateCache(server, config => config.RecoveryJournalCapacity = 3);
        await using var second = CreateReader(server);
        for (var i = 0; i < 6; i++)
        {
            Assert.True(await ServedAsync(first, () => first.SetAsync($"k{i}", "old", tenantId: "t1").AsTask()));
        }

        Assert.True(await ServedAsync(first, () => first.SetAsync("untouched", "old", tenantId: "t1").AsTask()));
        Assert.True(await ServedAsync(first, () => first.SetAsync("other", "old", tenantId: "t2").AsTask()));

        server.Pause();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                Assert.False(await first.DeleteAsync($"k{i}", tenantId: "t1"));
            }
        }
        finally
        {
            server.Resume();
        }

        await first.WaitForRecoveryAsync().WaitAsync(s_patience);
        for (var i = 0; i < 6; i++)
        {
            Assert.Null(await ReadOnServerAsync(second, $"k{i}", tenantId: "t1"));
        }

        // Cold, not stale: the whole tenant went, including what was never invalidated; the other tenant stays.
        Assert.Null(await ReadOnServerAsync(second, "untouched", tenantId: "t1"));
        Assert.Equal("old", await ReadOnServerAsync(second, "other", tenantId: "t2"));
        Assert.Equal(1, first.GetStats().JournalOverflows);
    }

    [Fact]
    public async Task WhenOneTenantFloodsTheJournalDuringAnOutageOnlyItsOwnNamespaceIsClearedAndAnotherTenantsDeleteStaysExact()
    {
        await using var server = await RedisServer.StartAsync();
        await using var first = CreateCache(server, config => config.RecoveryJournalCapacity = 40);
        await using var second = CreateReader(server);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(await ServedAsync(first, () => first.SetAsync($"patient-{i}", "old", tenantId: "globex").AsTask()));
        }

        Assert.True(await ServedAsync(first, () => first.SetAsync("before", "old", tenantId: "acme").AsTask()));

        server.Pause();
        try
        {
            Assert.False(await first.DeleteAsync("patient-7", tenantId: "globex"));
            for (var i = 0; i < 200; i++)
            {
                Assert.False(await first.SetAsync($"new-{i}", "v", tenantId: "acme"));
            }
        }
        finally
        {
            server.Resume();
        }

        await first.WaitForRecoveryAsync().WaitAsync(s_patience);

        // globex's delete was replayed as it was: only that key went, its 99 others stay.
        Assert.Null(await ReadOnServerAsync(second, "patient-7", tenantId: "globex"));
        for (var i = 0; i < 100; i++)
        {
            if (i != 7)
            {
                Assert.Equal("old", await ReadOnServerAsync(second, $"patient-{i}", tenantId: "globex"));
            }
        }

        // acme went over its share of the journal: its namespace was cleared, cold rather than stale.
        Assert.Null(await ReadOnServerAsync(second, "before", tenantId: "acme"));
        Assert.Equal(1, first.GetStats().JournalOverflows);
    }

    [Fact]
    public async Task WhenTheServerKeepsFailingOneJournaledRemovalRecoveryWidensItThenGivesItUpWithLogLinesAndACounter()
    {
        // The server answers GET and SET but refuses UNLINK, so every invalidation fails while the server is up.
        await using var server = await RedisServer.StartAsync(extraArguments: "--rename-command UNLINK \"\"");
        var logs = new RecordingLoggerFactory();
        await using var cache = CreateCache(server, config =>
        {
            config.LoggerFactory = logs;
            config.RecoveryMaxReplayAttempts = 2;
        });
        Assert.True(await ServedAsync(cache, () => cache.SetAsync("user_1", "old", tenantId: "acme").AsTask()));

        Assert.Equal(0, await cache.InvalidateAsync("user_*", tenantId: "acme"));

        // Not an endless replay: two failed replays, widened to a clear of the tenant, two more, then given up.
        await cache.WaitForRecoveryAsync().WaitAsync(s_patience);
        Assert.Equal(CacheHealthStatus.Healthy, cache.Health.Status);
        var stats = cache.GetStats();
        Assert.Equal(1, stats.AbandonedRemovals);
        Assert.Equal(0, stats.ReplayedOperations);
        var replayLines = logs.For("Motadata.Cache.Recovery").Where(line => line.EventId.Id is 5006 or 5007).ToList();
        Assert.Equal([5007, 5006], replayLines.Select(line => line.EventId.Id));
        Assert.Equal([LogLevel.Warning, LogLevel.Error], replayLines.Select(line => line.Level));
        Assert.Contains("acme", replayLines[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenRemovalsFailOnlyBecauseTheServerIsDownNoReplayAttemptIsCounted()
    {
        await using var server = await RedisServer.StartAsync();
        await using var cache = CreateCache(server, config => config.RecoveryMaxReplayAttempts = 1);
        await using var reader = CreateReader(server);
        Assert.True(await ServedAsync(cache, () => cache.SetAsync("user_1", "old", tenantId: "acme").AsTask()));

        server.Pause();
        try
        {
            Assert.Equal(0, await cache.InvalidateAsync("user_*", tenantId: "acme"));

            // Several replay rounds fail while the server is paused; none may count against the removal.
            await DriveUntilAsync(cache, CacheHealthStatus.Unavailable);
        }
        finally
        {
            server.Resume();
        }

        await cache.WaitForRecoveryAsync().WaitAsync(s_patience);
        Assert.Equal(0, cache.GetStats().AbandonedRemovals);
        Assert.Null(await ReadOnServerAsync(reader, "user_1", tenantId: "acme"));
    }

    [Fact]
    public async Task WhenTheJournalOverflowsWithGlobalKeysOnlyTheGlobalNamespaceIsCleared()
    {
        await using var server = await RedisServer.StartAsync();
        await using var first = CreateCache(server, config => config.RecoveryJournalCapacity = 2);
        await using var second = CreateReader(server);
        foreach (var key in new[] { "g1", "g2", "g3", "untouched" })
        {
            Assert.True(await ServedAsync(first, () => first.SetAsync(key, "old").AsTask()));
        }

        Assert.True(await ServedAsync(first, () => first.SetAsync("kept", "old", tenantId: "t1").AsTask()));

        server.Pause();
        try
        {
            Assert.False(first.Delete("g1"));
            Assert.False(await first.DeleteAsync("g2"));
            Assert.Equal(0, first.Invalidate("g3"));
        }
        finally
        {
            server.Resume();
        }

        await first.WaitForRecoveryAsync().WaitAsync(s_patience);
        Assert.Null(await ReadOnServerAsync(second, "g1"));
        Assert.Null(await ReadOnServerAsync(second, "g3"));
        Assert.Null(await ReadOnServerAsync(second, "untouched"));
        Assert.Equal("old", await ReadOnServerAsync(second, "kept", tenantId: "t1"));
    }

    [Fact]
    public async Task WhenTheServerIsKilledAndRestartedEmptyTheCacheReconnectsAndWorks()
    {
        await using var server = await RedisServer.StartAsync();
        await using var cache = CreateCache(server);
        Assert.True(await ServedAsync(cache, () => cache.SetAsync("k", "v").AsTask()));

        await server.KillAsync();
        Assert.Null(await cache.GetAsync<string>("k"));
        Assert.False(await cache.SetAsync("k", "v2"));
        Assert.False(cache.Delete("gone"));
        await DriveUntilAsync(cache, CacheHealthStatus.Unavailable);

        await server.RestartAsync();
        await cache.WaitForRecoveryAsync().WaitAsync(s_patience);

        Assert.Equal(CacheHealthStatus.Healthy, cache.Health.Status);
        Assert.Null(await ServedAsync(cache, () => cache.GetAsync<string>("k").AsTask()));
        Assert.True(await ServedAsync(cache, () => cache.SetAsync("k", "v3").AsTask()));
        Assert.Equal("v3", await ServedAsync(cache, () => cache.GetAsync<string>("k").AsTask()));
        Assert.Equal("v3", await ServedAsync(cache, () => Task.FromResult(cache.Get<string>("k"))));
    }

    [Fact]
    public async Task WhenTheServerIsSlowCallsFailOpenAndTheCacheRecovers()
    {
        await using var server = await RedisServer.StartAsync();
        await using var first = CreateCache(server);
        await using var second = CreateReader(server);
        Assert.True(await ServedAsync(first, () => first.SetAsync("k", "old").AsTask()));

        // DEBUG SLEEP blocks the whole server for longer than the operation timeout. Nothing says when the server
        // starts sleeping, so the test waits for the fault instead of guessing: a read served before the sleep began
        // returns the value and counts no failure, and is tried again; a stall that outlasts the sleep starts another.
        var sleep = server.CommandAsync("DEBUG", "SLEEP", "1.5");
        using (var patience = new CancellationTokenSource(s_patience))
        {
            while (true)
            {
                var failures = first.BackendFailures;
                var read = await first.GetAsync<string>("k");
                if (first.BackendFailures > failures)
                {
                    // The read met the slow server: it failed open.
                    Assert.Null(read);
                    break;
                }

                Assert.Equal("old", read);
                patience.Token.ThrowIfCancellationRequested();
                if (sleep.IsCompleted)
                {
                    Assert.StartsWith("+OK", await sleep, StringComparison.Ordinal);
                    sleep = server.CommandAsync("DEBUG", "SLEEP", "1.5");
                }
            }
        }

        // Journaled, or applied if it reached the server after its sleep: either way the value must go.
        await first.DeleteAsync("k");
        Assert.True(first.GetStats().BackendFailures > 0);
        Assert.StartsWith("+OK", await sleep, StringComparison.Ordinal);

        await first.WaitForRecoveryAsync().WaitAsync(s_patience);
        Assert.Null(await ReadOnServerAsync(second, "k"));
        Assert.True(await ServedAsync(first, () => first.SetAsync("k", "new").AsTask()));
        Assert.Equal("new", await ServedAsync(first, () => first.GetAsync<string>("k").AsTask()));
    }

    [Fact]
    public async Task HealthGoesDegradedUnavailableAndBackToHealthyWithOneLogLinePerChange()
    {
        await using var server = await RedisServer.StartAsync();
        var logs = new RecordingLoggerFactory();
        await using var cache = CreateCache(server, config => config.LoggerFactory = logs);
        var createdAt = cache.Health.Since;
        Assert.Equal(CacheHealthStatus.Healthy, cache.Health.Status);
        Assert.Null(cache.Health.LastError);

        server.Pause();
        try
        {
            await DriveUntilAsync(cache, CacheHealthStatus.Unavailable);

            // Many more failing calls and probes: no more log lines while the state holds.
            for (var i = 0; i < 200; i++)
            {
                await cache.GetAsync<string>("k");
                cache.Set("k", i);
            }
        }
        finally
        {
            server.Resume();
        }

        await cache.WaitForRecoveryAsync().WaitAsync(s_patience);
        var health = cache.Health;
        Assert.Equal(CacheHealthStatus.Healthy, health.Status);
        Assert.Equal(CircuitState.Closed, cache.BreakerState);
        Assert.True(health.Since > createdAt);
        Assert.Contains(server.EndPoint, health.LastError, StringComparison.Ordinal);
        Assert.NotNull(health.LastErrorAt);

        var lines = logs.For("Motadata.Cache.Recovery");
        Assert.Equal([5001, 5002, 5003, 5004], lines.Select(line => line.EventId.Id));
        Assert.Equal([LogLevel.Warning, LogLevel.Error, LogLevel.Information, LogLevel.Information], lines.Select(line => line.Level));
    }

    [Fact]
    public async Task TheLastErrorNamesTheEndpointButNeverThePassword()
    {
        const string Password = "s3cret-Passw0rd";
        await using var server = await RedisServer.StartAsync(Password);
        await using var cache = CreateCache(server, config => config.DragonflyUrl = $"dragonfly://:{Password}@127.0.0.1:{server.Port}");
        Assert.True(await ServedAsync(cache, () => cache.SetAsync("k", "v").AsTask()));

        await server.KillAsync();
        Assert.Null(await cache.GetAsync<string>("k"));
        var health = cache.Health;
        Assert.NotEqual(CacheHealthStatus.Healthy, health.Status);
        Assert.Contains(server.EndPoint, health.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, health.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, health.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithAFallbackTierThisInstancesWritesAreServedDuringAPauseAndDroppedAfter()
    {
        await using var server = await RedisServer.StartAsync();
        await using var first = CreateCache(server, config => config.RecoveryFallbackMaxSize = 100);
        await using var second = CreateReader(server);
        Assert.True(await ServedAsync(first, () => first.SetAsync("k", "old").AsTask()));

        server.Pause();
        try
        {
            Assert.False(await first.SetAsync("k", "mine"));
            Assert.Equal("mine", await first.GetAsync<string>("k"));
            Assert.Equal("mine", first.Get<string>("k"));

            Assert.False(first.Set("user_1", "mine"));
            Assert.Equal("mine", first.Get<string>("user_1"));
            Assert.Equal(1, await first.InvalidateAsync("user_*"));
            Assert.Null(first.Get<string>("user_1"));

            Assert.False(first.Set("deleted", "mine"));
            Assert.True(await first.DeleteAsync("deleted"));
            Assert.Null(await first.GetAsync<string>("deleted"));
        }
        finally
        {
            server.Resume();
        }

        await first.WaitForRecoveryAsync().WaitAsync(s_patience);

        // The server never took "mine", and "old" was journaled away: both instances miss, and the tier is gone.
        Assert.Null(await ServedAsync(first, () => first.GetAsync<string>("k").AsTask()));
        Assert.Null(await ReadOnServerAsync(second, "k"));
    }

    [Fact]
    public async Task WithRecoveryOffAFailureIsACacheBackendExceptionNamingTheEndpointAndCause()
    {
        await using var server = await RedisServer.StartAsync();
        await using var cache = CreateCache(server, config => config.EnableRecovery = false);
        Assert.True(await ServedAsync(cache, () => cache.SetAsync("k", "v").AsTask()));

        server.Pause();
        try
        {
            var asyncFailure = await Assert.ThrowsAsync<CacheBackendException>(async () => await cache.GetAsync<string>("k"));
            Assert.Contains(server.EndPoint, asyncFailure.Message, StringComparison.Ordinal);
            Assert.NotNull(asyncFailure.InnerException);

            var syncFailure = Assert.Throws<CacheBackendException>(() => cache.Delete("k"));
            Assert.Contains(server.EndPoint, syncFailure.Message, StringComparison.Ordinal);
            Assert.NotNull(syncFailure.InnerException);

            await Assert.ThrowsAsync<CacheBackendException>(async () => await cache.InvalidateAsync("*"));
            Assert.Equal(CacheHealthStatus.Healthy, cache.Health.Status);
        }
        finally
        {
            server.Resume();
        }
    }

    [Fact]
    public async Task TheBreakerAndTheProbesRunOnTheConfiguredClock()
    {
        await using var server = await RedisServer.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var breakDuration = TimeSpan.FromSeconds(30);
        await using var cache = CreateCache(server, config =>
        {
            config.TimeProvider = time;
            config.RecoveryBreakDuration = breakDuration;
        });
        Assert.True(await ServedAsync(cache, () => cache.SetAsync("k", "v").AsTask()));

        server.Pause();
        try
        {
            await DriveUntilAsync(cache, CacheHealthStatus.Unavailable);
        }
        finally
        {
            server.Resume();
        }

        // The server is back, but on the configured clock the break has not ended: nothing probes it.
        var failures = cache.GetStats().BackendFailures;
        var openedAt = cache.Health.Since;
        for (var i = 0; i < 20; i++)
        {
            Assert.Null(await cache.GetAsync<string>("k"));
            await Task.Delay(25);
        }

        Assert.Equal(CacheHealthStatus.Unavailable, cache.Health.Status);
        Assert.Equal(failures, cache.GetStats().BackendFailures);

        time.Advance(breakDuration);
        await cache.WaitForRecoveryAsync().WaitAsync(s_patience);
        Assert.Equal(CacheHealthStatus.Healthy, cache.Health.Status);
        Assert.Equal(openedAt + breakDuration, cache.Health.Since);
        Assert.Equal("v", await ServedAsync(cache, () => cache.GetAsync<string>("k").AsTask(), () => time.Advance(breakDuration)));
    }

    [Fact]
    public async Task WhenTheServerIsDownAtStartTheCacheFailsOpenAndUsesItOnceItIsUp()
    {
        await using var server = RedisServer.Reserve();
        await using var cache = CreateCache(server, config => config.ConnectTimeout = TimeSpan.FromMilliseconds(500));
        Assert.Null(await cache.GetAsync<string>("k"));
        Assert.False(await cache.SetAsync("k", "v"));
        Assert.NotEqual(CacheHealthStatus.Healthy, cache.Health.Status);

        await server.RestartAsync();
        await cache.WaitForRecoveryAsync().WaitAsync(s_patience);
        Assert.True(await ServedAsync(cache, () => cache.SetAsync("k", "v").AsTask()));
        Assert.Equal("v", await ServedAsync(cache, () => cache.GetAsync<string>("k").AsTask()));
    }

    [Fact]
    public async Task TheMemoryBackendIsAlwaysHealthy()
    {
        await using var cache = new CacheMechanism(new CacheConfig());
        cache.Set("k", "v");
        Assert.Equal(CacheHealthStatus.Healthy, cache.Health.Status);
        Assert.Null(cache.Health.LastError);
        Assert.Null(cache.BreakerState);
        await cache.WaitForRecoveryAsync();
    }

    private CacheMechanism CreateCache(RedisServer server, Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = server.Url,
            KeyPrefix = _keyPrefix,
            EnableRecovery = true,
            OperationTimeout = s_operationTimeout,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            RecoveryBreakDuration = s_breakDuration,
        };
        configure?.Invoke(config);
        return new CacheMechanism(config);
    }

    /// <summary>
    /// A second instance on the same server with recovery off, so that a failure (its client reconnecting after the
    /// outage) is an exception rather than a miss: a miss it reports is really a miss on the server.
    /// </summary>
    private CacheMechanism CreateReader(RedisServer server) => CreateCache(server, config => config.EnableRecovery = false);

    /// <summary>Reads through <paramref name="reader"/> (recovery off), retrying while its client reconnects.</summary>
    private static async Task<string?> ReadOnServerAsync(CacheMechanism reader, string key, string? tenantId = null)
    {
        using var patience = new CancellationTokenSource(s_patience);
        while (true)
        {
            try
            {
                return await reader.GetAsync<string>(key, tenantId);
            }
            catch (CacheBackendException) when (!patience.IsCancellationRequested)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/> on a recovered cache until the server served it, and returns its result. Right
    /// after an outage the client may still be settling (a reconnection, a timeout while the thread pool grows): such
    /// a call fails open (a miss, false), counts a backend failure, and is retried once the cache has recovered again,
    /// so the assertion is about the server's answer, not about a transient failure (with recovery off, such a call
    /// throws, and is retried the same way). <paramref name="nudge"/> moves a
    /// fake clock so that the breaker can probe again.
    /// </summary>
    private static async Task<T> ServedAsync<T>(CacheMechanism cache, Func<Task<T>> call, Action? nudge = null)
    {
        using var patience = new CancellationTokenSource(s_patience);
        while (true)
        {
            while (cache.Health.Status != CacheHealthStatus.Healthy)
            {
                patience.Token.ThrowIfCancellationRequested();
                nudge?.Invoke();
                await Task.WhenAny(cache.WaitForRecoveryAsync(patience.Token), Task.Delay(50, patience.Token));
            }

            var failures = cache.BackendFailures;
            T result;
            try
            {
                result = await call();
            }
            catch (CacheBackendException) when (!cache.Config.EnableRecovery && !patience.IsCancellationRequested)
            {
                // Recovery off: a call that timed out on a stalled machine throws instead of failing open; try again.
                continue;
            }

            if (cache.BackendFailures == failures)
            {
                return result;
            }
        }
    }

    /// <summary>Keeps calling until the cache reports <paramref name="status"/>; the breaker's own probes get there too.</summary>
    private static async Task DriveUntilAsync(CacheMechanism cache, CacheHealthStatus status)
    {
        using var patience = new CancellationTokenSource(s_patience);
        while (cache.Health.Status != status)
        {
            patience.Token.ThrowIfCancellationRequested();
            await cache.GetAsync<string>("drive");
            await Task.Delay(10, patience.Token);
        }
    }
}
