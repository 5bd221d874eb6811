using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores;
using Motadata.Cache.Stores.Backends.Dragonfly;
using Motadata.Cache.Stores.Tiers.Recovery;
using Motadata.Cache.Tests.Infrastructure;
using Polly.CircuitBreaker;

namespace Motadata.Cache.Tests.StoreLayer;

/// <summary>
/// The circuit breaker judges outcomes as values: a failure the store returns counts toward opening it, and nothing
/// is thrown for Polly to count. Real <c>redis-server</c>, paused (SIGSTOP).
/// </summary>
public sealed class BreakerOutcomeTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(30);

    // Set around the test's own calls: first-chance exceptions raised in their flow (synchronously or in the
    // continuations they await) are this test's; other tests' are not.
    private static readonly AsyncLocal<bool> s_inCall = new();

    [Fact]
    public async Task FailedOutcomesOpenTheBreakerWithoutAnExceptionThrownToCountThem()
    {
        await using var server = await RedisServer.StartAsync();
        var config = new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = server.Url,
            KeyPrefix = $"breaker-{Guid.NewGuid():N}:",
            EnableRecovery = true,
            // Not reached by a healthy server on a busy machine; each call to the paused one waits it out.
            OperationTimeout = TimeSpan.FromSeconds(2),
            RecoveryBreakDuration = TimeSpan.FromMinutes(5),
        };
        var counters = new CacheCounters();
        var dragonfly = new DragonflyStore(config, counters);

        // The recovery loop's probe never answers, so only this test's calls reach the breaker.
        await using var recovery = new RecoveringStore(dragonfly, new SilentProbe(), config, counters, TimeProvider.System);
        var key = new CacheKey(null, "k");
        Assert.True(recovery.Write(key, "v", TimeSpan.FromHours(1)).IsStored);

        var thrown = 0;
        void Count(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs args)
        {
            if (s_inCall.Value && args.Exception is CacheBackendException)
            {
                Interlocked.Increment(ref thrown);
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Count;
        server.Pause();
        try
        {
            var deadline = DateTime.UtcNow + s_patience;
            var calls = 0;
            while (recovery.BreakerState != CircuitState.Open)
            {
                Assert.True(DateTime.UtcNow < deadline, $"The breaker did not open after {calls} failed calls.");
                var outcome = await CallAsync(recovery, key, calls++);
                Assert.False(outcome.Found);
                Assert.Null(outcome.Failure);
            }

            Assert.Equal(1, counters.Total(CounterKind.BreakerOpenings, null));
            Assert.Equal(CacheHealthStatus.Unavailable, recovery.Health.Status);

            // Open: answered without the server, and without an exception either.
            var open = await CallAsync(recovery, key, calls);
            Assert.False(open.Found);
            Assert.Null(open.Failure);
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
            server.Resume();
        }

        Assert.Equal(0, thrown);
    }

    // Synchronous and asynchronous reads alternately: both forms of the guard.
    private static async Task<ReadOutcome<string>> CallAsync(RecoveringStore recovery, CacheKey key, int call)
    {
        s_inCall.Value = true;
        try
        {
            return call % 2 == 0 ? recovery.Read<string>(key) : await recovery.ReadAsync<string>(key, CancellationToken.None);
        }
        finally
        {
            s_inCall.Value = false;
        }
    }

    /// <summary>A probe that waits until recovery is disposed: the recovery loop never reaches the breaker.</summary>
    private sealed class SilentProbe : IStoreProbe
    {
        public async ValueTask<ReadOutcome<byte[]>> ProbeAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            return ReadOutcome<byte[]>.Miss;
        }
    }
}
