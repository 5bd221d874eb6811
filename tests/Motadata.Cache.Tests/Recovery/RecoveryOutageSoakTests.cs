using System.Collections.Concurrent;
using System.Globalization;
using Motadata.Cache.Tests.Infrastructure;
using Motadata.Cache.Tests.Memory;

namespace Motadata.Cache.Tests.Recovery;

/// <summary>
/// Mixed traffic (get, set, delete, invalidate, clear) from several threads over several tenants, with recovery on,
/// while the server is paused (SIGSTOP) and resumed, killed and restarted empty, then paused and killed. Each phase
/// moves on when the traffic has done a given number of operations and the cache has seen the fault or recovered
/// from it (acknowledgements, not time); the bounded waits are only there so a broken build fails instead of hanging.
/// Asserted: no exception reaches a caller; per tenant, hits + misses equal the gets issued; and no read, during the
/// outages or after, returns a value that an invalidation which had returned was meant to remove.
/// </summary>
/// <remarks>
/// The staleness rule, on a logical clock (one counter every event ticks): a removal (delete, invalidate, clear) that
/// started at tick S and has returned makes every value of the keys it covers whose set returned before S stale; a
/// read that starts after the removal returned must not return such a value. Sets that failed (false) count too: the
/// caller was told, and recovery must still keep their values from coming back over a later removal.
/// </remarks>
[Collection(SoakTestGroup.Name)]
public sealed class RecoveryOutageSoakTests
{
    private const int Workers = 4;
    private const int KeysPerTenant = 16;
    private const int OperationsPerPhase = 3_000;
    private const int MaxOperationsPerWorker = 1_000_000;
    private static readonly string[] s_tenants = ["t0", "t1", "t2"];
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);

    private readonly string[] _keys = [.. Enumerable.Range(0, KeysPerTenant).Select(i => (i % 2 == 0 ? "user_" : "item_") + i.ToString(CultureInfo.InvariantCulture))];

    // Per (tenant, key): the start tick of the latest removal covering it that has returned.
    private readonly long[] _floor = new long[s_tenants.Length * KeysPerTenant];

    // Per value written (its sequence number): the tick at which its set returned.
    private readonly ConcurrentDictionary<long, long> _setReturnedAt = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentQueue<Exception> _exceptions = new();
    private readonly long[] _getsIssued = new long[s_tenants.Length];
    private long _clock;
    private long _sequence;
    private long _operations;
    private int _finishedWorkers;

    [Fact]
    public async Task ThroughPausesKillsAndRestartsNoCallThrowsCountsStayExactAndNoInvalidatedValueComesBack()
    {
        await using var server = await RedisServer.StartAsync();
        var keyPrefix = $"soak-{Guid.NewGuid():N}:";
        await using var cache = new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = server.Url,
            KeyPrefix = keyPrefix,
            EnableRecovery = true,
            OperationTimeout = TimeSpan.FromMilliseconds(250),
            ConnectTimeout = TimeSpan.FromSeconds(2),
            RecoveryBreakDuration = TimeSpan.FromMilliseconds(500),
        });
        using var stop = new CancellationTokenSource();
        var workers = new Task[Workers];
        for (var w = 0; w < Workers; w++)
        {
            var seed = w;
            workers[w] = Task.Run(() => RunWorkerAsync(cache, seed, stop.Token));
        }

        try
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await TrafficAsync(patience.Token);

            // 1. A partition: the server freezes with connections open.
            server.Pause();
            await FaultSeenAsync(cache, patience.Token);
            server.Resume();
            await RecoveredAsync(cache, patience.Token);

            // 2. A crash: killed, then restarted empty on the same port.
            await server.KillAsync();
            await FaultSeenAsync(cache, patience.Token);
            await server.RestartAsync();
            await RecoveredAsync(cache, patience.Token);

            // 3. Frozen, then killed while frozen, then restarted.
            server.Pause();
            await FaultSeenAsync(cache, patience.Token);
            await server.KillAsync();
            await TrafficAsync(patience.Token);
            await server.RestartAsync();
            await RecoveredAsync(cache, patience.Token);
        }
        finally
        {
            if (server.IsPaused)
            {
                server.Resume();
            }

            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }

        Assert.Empty(_exceptions);
        await cache.WaitForRecoveryAsync().WaitAsync(s_patience);

        // Every key, read after recovery through the cache that took the traffic, and through a second instance with
        // recovery off (a miss there is a miss on the server, a failure an exception).
        await using var reader = new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = server.Url,
            KeyPrefix = keyPrefix,
            EnableRecovery = false,
            OperationTimeout = TimeSpan.FromSeconds(5),
        });
        for (var t = 0; t < s_tenants.Length; t++)
        {
            for (var k = 0; k < KeysPerTenant; k++)
            {
                await ReadAsync(cache, t, k, CallKind.Async);
                Check(t, k, await reader.GetAsync<string>(_keys[k], s_tenants[t]), Volatile.Read(ref _floor[(t * KeysPerTenant) + k]), "second instance after recovery");
            }
        }

        Assert.True(_violations.IsEmpty, string.Join(Environment.NewLine, _violations.Take(20)));
        Assert.Empty(_exceptions);
        for (var t = 0; t < s_tenants.Length; t++)
        {
            var stats = await cache.GetStatsAsync(s_tenants[t]);
            Assert.Equal(Volatile.Read(ref _getsIssued[t]), stats.Hits + stats.Misses);
        }

        var whole = await cache.GetStatsAsync();
        Assert.True(whole.BackendFailures > 0, "The outages were never seen: the soak tested nothing.");
        Assert.True(whole.BreakerOpenings > 0, "The breaker never opened.");
    }

    private enum CallKind
    {
        Sync,
        Async,
        TryGet,
    }

    private async Task RunWorkerAsync(CacheMechanism cache, int seed, CancellationToken stop)
    {
        var random = new Random(seed);
        for (var i = 0; i < MaxOperationsPerWorker && !stop.IsCancellationRequested; i++)
        {
            var t = random.Next(s_tenants.Length);
            var k = random.Next(KeysPerTenant);
            var roll = random.Next(100);
            var async = random.Next(2) == 0;
            try
            {
                if (roll < 45)
                {
                    await ReadAsync(cache, t, k, (CallKind)random.Next(3));
                }
                else if (roll < 75)
                {
                    await SetAsync(cache, t, k, async);
                }
                else if (roll < 87)
                {
                    await RemoveAsync(t, k, _keys[k], async, () => cache.Delete(_keys[k], s_tenants[t]), async () => await cache.DeleteAsync(_keys[k], s_tenants[t]));
                }
                else if (roll < 97)
                {
                    var pattern = random.Next(3) switch { 0 => "user_*", 1 => "item_*", _ => _keys[k] };
                    await RemoveAsync(t, -1, pattern, async, () => cache.Invalidate(pattern, s_tenants[t]), async () => await cache.InvalidateAsync(pattern, s_tenants[t]));
                }
                else if (roll < 99)
                {
                    await RemoveAsync(t, -1, "*", async, () => cache.Clear(s_tenants[t]), async () => await cache.ClearAsync(s_tenants[t]));
                }
                else
                {
                    await RemoveAsync(-1, -1, "*", async, () => cache.Clear(), async () => await cache.ClearAsync());
                }
            }
#pragma warning disable CA1031 // Any exception is a failure of the test, collected and asserted.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                _exceptions.Enqueue(exception);
            }

            Interlocked.Increment(ref _operations);
            if (cache.Health.Status != CacheHealthStatus.Healthy)
            {
                // Throttling only (calls fail at once while the breaker is open): keeps the run, and the record of
                // every value written, small. Nothing is ordered by it.
                await Task.Delay(1, CancellationToken.None);
            }
        }

        Interlocked.Increment(ref _finishedWorkers);
    }

    private async Task ReadAsync(CacheMechanism cache, int t, int k, CallKind kind)
    {
        var floor = Volatile.Read(ref _floor[(t * KeysPerTenant) + k]);
        Interlocked.Increment(ref _getsIssued[t]);
        string? value = kind switch
        {
            CallKind.Sync => cache.Get<string>(_keys[k], s_tenants[t]),
            CallKind.Async => await cache.GetAsync<string>(_keys[k], s_tenants[t]),
            _ => cache.TryGet<string>(_keys[k], out var found, s_tenants[t]) ? found : null,
        };
        Check(t, k, value, floor, kind.ToString());
    }

    private async Task SetAsync(CacheMechanism cache, int t, int k, bool async)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        var value = "v" + sequence.ToString(CultureInfo.InvariantCulture);
        if (async)
        {
            await cache.SetAsync(_keys[k], value, tenantId: s_tenants[t]);
        }
        else
        {
            cache.Set(_keys[k], value, tenantId: s_tenants[t]);
        }

        _setReturnedAt[sequence] = Interlocked.Increment(ref _clock);
    }

    /// <summary>Runs a removal of <paramref name="pattern"/> in tenant <paramref name="t"/> (-1: every tenant) and, once it returned, raises the floor of every key it covers.</summary>
    private async Task RemoveAsync(int t, int k, string pattern, bool async, Action sync, Func<Task> asynchronous)
    {
        var started = Interlocked.Increment(ref _clock);
        if (async)
        {
            await asynchronous();
        }
        else
        {
            sync();
        }

        for (var tenant = 0; tenant < s_tenants.Length; tenant++)
        {
            if (t >= 0 && tenant != t)
            {
                continue;
            }

            for (var key = 0; key < KeysPerTenant; key++)
            {
                var covered = k >= 0 ? key == k
                    : pattern.EndsWith('*') ? _keys[key].StartsWith(pattern[..^1], StringComparison.Ordinal)
                    : _keys[key] == pattern;
                if (covered)
                {
                    RaiseFloor(ref _floor[(tenant * KeysPerTenant) + key], started);
                }
            }
        }

        Interlocked.Increment(ref _clock);
    }

    private void Check(int t, int k, string? value, long floor, string how)
    {
        if (value is null)
        {
            return;
        }

        var sequence = long.Parse(value.AsSpan(1), CultureInfo.InvariantCulture);
        if (!_setReturnedAt.TryGetValue(sequence, out var returnedAt))
        {
            // Its set has not returned yet, so it did not return before any removal started.
            if (Volatile.Read(ref _sequence) < sequence)
            {
                _violations.Enqueue($"{how}: {s_tenants[t]}/{_keys[k]} returned {value}, which no set ever wrote.");
            }

            return;
        }

        if (returnedAt < floor)
        {
            _violations.Enqueue($"{how}: {s_tenants[t]}/{_keys[k]} returned {value} (set returned at tick {returnedAt}) after a removal that started at tick {floor} had returned.");
        }
    }

    private static void RaiseFloor(ref long floor, long value)
    {
        var current = Volatile.Read(ref floor);
        while (current < value)
        {
            var seen = Interlocked.CompareExchange(ref floor, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Waits until the workers have done <see cref="OperationsPerPhase"/> more operations.</summary>
    private async Task TrafficAsync(CancellationToken patience)
    {
        var target = Volatile.Read(ref _operations) + OperationsPerPhase;
        while (Volatile.Read(ref _operations) < target)
        {
            patience.ThrowIfCancellationRequested();
            Assert.Empty(_exceptions);
            Assert.True(Volatile.Read(ref _finishedWorkers) == 0, "A worker reached its operation cap before the outages were over.");
            await Task.Delay(10, patience);
        }
    }

    /// <summary>Waits until the traffic has met the fault (the cache is no longer healthy), then for more traffic into it.</summary>
    private async Task FaultSeenAsync(CacheMechanism cache, CancellationToken patience)
    {
        while (cache.Health.Status == CacheHealthStatus.Healthy)
        {
            patience.ThrowIfCancellationRequested();
            await Task.Delay(10, patience);
        }

        await TrafficAsync(patience);
    }

    /// <summary>Waits until the cache has recovered (journal replayed), then for more traffic after it.</summary>
    private async Task RecoveredAsync(CacheMechanism cache, CancellationToken patience)
    {
        await cache.WaitForRecoveryAsync(patience);
        await TrafficAsync(patience);
    }
}
