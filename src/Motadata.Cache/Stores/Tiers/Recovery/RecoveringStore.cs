using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Polly;
using Polly.CircuitBreaker;

namespace Motadata.Cache.Stores.Tiers.Recovery;

/// <summary>
/// Wraps a remote store (Dragonfly) so that its failures never reach the caller (<see cref="CacheConfig.EnableRecovery"/>):
/// a failed read is a miss, a failed write returns false, and a failed removal (delete, invalidate, clear) is kept in
/// an <see cref="InvalidationJournal"/> and replayed on the server when it is back, before anything is read from it
/// again. A Polly circuit breaker stops callers waiting on a dead server; a background loop probes it and replays.
/// </summary>
/// <remarks>
/// <para>
/// Two modes. <b>Healthy</b>: every call goes straight to the inner store; the only cost is one volatile read and a
/// try block (no lock, no allocation). The first failure switches to <b>recovering</b>: calls go through the Polly
/// pipeline while the breaker is closed and return at once while it is open (or half-open: only the recovery loop
/// probes, so no caller ever waits on a probe); reads skip the server while anything is left to replay. The recovery
/// loop replays the journal (or, with nothing to replay, probes with one GET), and when the journal is empty and the
/// breaker closed, switches back to healthy.
/// </para>
/// <para>
/// A failed <c>Set</c> is journaled as a delete of its key: the write may still land later (a timed-out command can
/// sit in a socket buffer of a paused server), and the value it was meant to replace must not be served either.
/// </para>
/// </remarks>
internal sealed partial class RecoveringStore : ICacheStore, IRecoveryState, IHealthSignal
{
    private const int HealthyMode = 0;
    private const int RecoveringMode = 1;

    private static readonly GlobPattern MatchAll = GlobPattern.Parse("*");

    private readonly ICacheStore _inner;
    private readonly IStoreProbe _probe;
    private readonly CacheCounters _statistics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _breakerState = new();
    private readonly InvalidationJournal _journal;
    private readonly Func<ICacheStore>? _newFallback;
    private readonly TimeSpan _breakDuration;
    private readonly TimeSpan _probeInterval;
    private readonly TimeSpan _settleTime;
    private readonly int _journalCapacity;
    private readonly int _maxReplayAttempts;
    private readonly Lock _sync = new();
    private readonly CancellationTokenSource _disposing = new();

    // Taken once, so the loop can still read it after the source is disposed.
    private readonly CancellationToken _disposingToken;

    // The fast path reads only _mode. Everything else changes under _sync, on the failure path.
    private volatile int _mode;
    private volatile bool _breakerOpen;
    private volatile int _pendingRemovals;
    private volatile ICacheStore? _fallback;
    private volatile bool _retired;
    private volatile CacheHealth _health;
    private long _outageStartedAt;
    private long _lastFailureAt;
    private Task? _recovery;
    private int _disposed;

    /// <param name="inner">The store recovered: a backend, or one node of it.</param>
    /// <param name="probe">How to ask the server that store stands for whether it answers (the backend's, handed in by the composition root).</param>
    /// <param name="config">The settings.</param>
    /// <param name="statistics">Where counts go.</param>
    /// <param name="time">The clock.</param>
    /// <param name="newFallback">Makes the fallback tier of an outage (<see cref="CacheConfig.RecoveryFallbackMaxSize"/>); null for none.</param>
    public RecoveringStore(ICacheStore inner, IStoreProbe probe, CacheConfig config, CacheCounters statistics, TimeProvider time, Func<ICacheStore>? newFallback = null)
    {
        _inner = inner;
        _probe = probe;
        _newFallback = newFallback;
        _disposingToken = _disposing.Token;
        _statistics = statistics;
        _time = time;
        _logger = (config.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Motadata.Cache.Recovery");
        var recovery = config.Recovery ?? new RecoveryOptions();
        _journalCapacity = recovery.JournalCapacity;
        _maxReplayAttempts = recovery.MaxReplayAttempts;
        _journal = new InvalidationJournal(recovery.JournalCapacity);
        _breakDuration = recovery.BreakDuration;

        // Between failed probes while the breaker is still closed: short, so a dead server opens it quickly.
        _probeInterval = TimeSpan.FromTicks(Math.Clamp(config.OperationTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerMillisecond * 250));

        // How long the server must go without a failure before the cache is called healthy again, so a server that
        // fails every few calls stays Degraded (one log line) instead of flapping (two lines per failure).
        _settleTime = TimeSpan.FromTicks(Math.Clamp(config.OperationTimeout.Ticks, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));
        _health = new CacheHealth { Status = CacheHealthStatus.Healthy, Since = time.GetUtcNow() };
        var breaker = new CircuitBreakerStrategyOptions
        {
            // Opens when at least half of at least two calls in the window failed: a dead server is noticed after
            // a timeout or two, while one slow command among many healthy ones is not enough.
            FailureRatio = 0.5,
            MinimumThroughput = 2,
            SamplingDuration = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond * 2, config.OperationTimeout.Ticks * 4)),
            BreakDuration = recovery.BreakDuration,
            // A failure the store returned counts as much as one thrown: outcomes are values (RecoveringStore.Guard.cs).
            ShouldHandle = static args => new ValueTask<bool>(FailureOf(args.Outcome) is not null),
            StateProvider = _breakerState,
            OnOpened = args =>
            {
                OnBreakerOpened(FailureOf(args.Outcome));
                return default;
            },
            OnClosed = _ =>
            {
                OnBreakerClosed();
                return default;
            },
        };
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }.AddCircuitBreaker(breaker).Build();
    }

    public string Name => _inner.Name;

    /// <summary>The current health; replaced (never mutated) on every change, so reading it takes no lock.</summary>
    public CacheHealth Health => _health;

    /// <inheritdoc />
    public int PendingRemovals => _pendingRemovals;

    /// <inheritdoc />
    public IReadOnlyList<KeyValuePair<string, CacheHealth>> NodeHealth => [];

    /// <summary>True while no failure is being handled (one volatile read): the two-level store serves its local level only then.</summary>
    public bool IsHealthy => _mode == HealthyMode;

    /// <summary>The Polly breaker's state, for tests and diagnostics.</summary>
    public CircuitState BreakerState => _breakerState.CircuitState;

    /// <summary>
    /// Completes when the store is healthy again (journal replayed, breaker closed), or at once when it is. For tests
    /// and for callers that want to wait for a recovery instead of polling <see cref="Health"/>.
    /// </summary>
    public async Task WaitUntilHealthyAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task? recovery;
            lock (_sync)
            {
                if (_mode == HealthyMode)
                {
                    return;
                }

                recovery = _recovery;
            }

            // Disposed while recovering: it will not recover.
            ObjectDisposedException.ThrowIf(recovery is null || _disposed != 0, this);
            await recovery.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The recovery loop sees the cancellation and ends; it is not waited for, so Dispose never blocks on the network.
        _disposing.Cancel();
        _inner.Dispose();
        _fallback?.Dispose();
        _disposing.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        Task? recovery;
        lock (_sync)
        {
            recovery = _recovery;
        }

        if (recovery is not null)
        {
            // The loop ends on cancellation and never throws.
            await recovery.ConfigureAwait(false);
        }

        await _inner.DisposeAsync().ConfigureAwait(false);
        _fallback?.Dispose();
        _disposing.Dispose();
    }

    private bool BreakerOpen => _breakerOpen;

    /// <summary>The server may be read only when nothing is left to replay on it and the breaker lets calls through.</summary>
    private bool CanReadServer => !_breakerOpen && _pendingRemovals == 0 && !_retired;

    /// <summary>A call to the server failed: remember why, and start recovering if it was healthy.</summary>
    private void OnFailure(CacheBackendException exception)
    {
        lock (_sync)
        {
            RecordError_NeedsLock(exception);
            if (_mode == HealthyMode)
            {
                EnterRecovering_NeedsLock();
            }
        }
    }

    /// <summary>Keeps a removal the server did not get (or may not have got), and starts recovering if it was healthy.</summary>
    private void Journal(JournalEntry entry, CacheBackendException? exception)
    {
        bool overflowed;
        Action<JournalEntry>? successor;
        lock (_sync)
        {
            if (exception is not null)
            {
                RecordError_NeedsLock(exception);
            }

            // Retired (its node is no longer a primary, see Retire): the slots' new owner keeps it.
            successor = _successor;
            overflowed = successor is null && _journal.Add(entry);
            _pendingRemovals = _journal.Count;
            if (_mode == HealthyMode && successor is null)
            {
                EnterRecovering_NeedsLock();
            }
        }

        successor?.Invoke(entry);
        if (overflowed)
        {
            _statistics.RecordJournalOverflow();
            RecoveryLog.JournalOverflowed(_logger, _inner.Name, _journalCapacity);
        }
    }

    /// <summary>Keeps a delete of every key of a batch write that failed.</summary>
    private void JournalDeletes<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, CacheBackendException? exception)
    {
        var overflowed = false;
        Action<JournalEntry>? successor;
        lock (_sync)
        {
            if (exception is not null)
            {
                RecordError_NeedsLock(exception);
            }

            successor = _successor;
            for (var i = 0; successor is null && i < entries.Count; i++)
            {
                overflowed |= _journal.Add(new JournalEntry(JournalOperation.Delete, tenantId, entries[i].Key));
            }

            _pendingRemovals = _journal.Count;
            if (_mode == HealthyMode && successor is null)
            {
                EnterRecovering_NeedsLock();
            }
        }

        for (var i = 0; successor is not null && i < entries.Count; i++)
        {
            successor(new JournalEntry(JournalOperation.Delete, tenantId, entries[i].Key));
        }

        if (overflowed)
        {
            _statistics.RecordJournalOverflow();
            RecoveryLog.JournalOverflowed(_logger, _inner.Name, _journalCapacity);
        }
    }

    private void RecordError_NeedsLock(CacheBackendException exception)
    {
        _lastFailureAt = _time.GetTimestamp();
        _health = _health with { LastError = exception.Message, LastErrorAt = _time.GetUtcNow() };
    }

    private void EnterRecovering_NeedsLock()
    {
        _outageStartedAt = _time.GetTimestamp();

        // A fresh fallback tier per outage: what an earlier one held may have changed on the server since.
        _fallback = _newFallback?.Invoke();
        _mode = RecoveringMode;
        Transition_NeedsLock(CacheHealthStatus.Degraded);
        if (!_disposingToken.IsCancellationRequested)
        {
            _recovery = Task.Run(RecoverAsync);
        }
    }

    private void Transition_NeedsLock(CacheHealthStatus status)
    {
        var current = _health;
        if (current.Status == status)
        {
            return;
        }

        _health = current with { Status = status, Since = _time.GetUtcNow() };
        switch (status)
        {
            case CacheHealthStatus.Healthy:
                var outage = _time.GetElapsedTime(_outageStartedAt);
                RecoveryLog.Recovered(_logger, _inner.Name, outage);
                break;
            case CacheHealthStatus.Unavailable:
                RecoveryLog.Unavailable(_logger, _inner.Name, _breakDuration, current.LastError);
                break;
            case CacheHealthStatus.Degraded when current.Status == CacheHealthStatus.Unavailable:
                RecoveryLog.Reachable(_logger, _inner.Name, _journal.Count);
                break;
            default:
                RecoveryLog.Degraded(_logger, _inner.Name, current.LastError);
                break;
        }
    }

    private void OnBreakerOpened(CacheBackendException? exception)
    {
        _breakerOpen = true;
        _statistics.RecordBreakerOpening();
        lock (_sync)
        {
            if (exception is not null)
            {
                RecordError_NeedsLock(exception);
            }

            if (_mode == HealthyMode)
            {
                // A call that started while recovering failed after the store had recovered.
                EnterRecovering_NeedsLock();
            }

            Transition_NeedsLock(CacheHealthStatus.Unavailable);
        }
    }

    private void OnBreakerClosed()
    {
        _breakerOpen = false;
        lock (_sync)
        {
            if (_mode == RecoveringMode)
            {
                Transition_NeedsLock(CacheHealthStatus.Degraded);
            }
        }
    }

    /// <summary>
    /// Runs while recovering: replays the journal through the breaker (or probes the server when there is nothing
    /// to replay) until the journal is empty and the breaker closed, then switches back to healthy. Never throws.
    /// </summary>
    private async Task RecoverAsync()
    {
        var token = _disposingToken;
        string? lastUnexpected = null;
        while (!token.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                await _pipeline.ExecuteAsync(static (self, ct) => self.ReplayAsync(ct), this, token).ConfigureAwait(false);
                if (TryFinishRecovery(out wait))
                {
                    return;
                }

                // More removals were journaled meanwhile, a caller's failure reopened the breaker (wait is zero: go
                // round again), or the last failure is too recent to call the server healthy (wait until it is not).
            }
            catch (BrokenCircuitException broken)
            {
                wait = broken.RetryAfter is { } retryAfter && retryAfter > TimeSpan.Zero ? retryAfter : _probeInterval;
            }
            catch (CacheBackendException exception)
            {
                OnFailure(exception);
                wait = _probeInterval;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must outlive anything the inner store throws (such as disposal races); it retries.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                // Not the server's failure (those are CacheBackendException): a defect or a disposal race. Said once
                // per kind per outage, by type only (an exception's message may carry keys or connection details).
                wait = _probeInterval;
                var kind = exception.GetType().FullName ?? exception.GetType().Name;
                if (kind != lastUnexpected)
                {
                    lastUnexpected = kind;
                    RecoveryLog.LoopFailed(_logger, _inner.Name, kind, wait);
                }
            }

            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, token).ConfigureAwait(false);
                }
                else
                {
                    await Task.Yield();
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Replays every journaled removal on the server; with none, reads the probe key to learn whether it answers.
    /// A removal that fails while the server answers (other removals of the round succeed, or the probe does) counts
    /// a failed attempt; past <see cref="CacheConfig.RecoveryMaxReplayAttempts"/> it is widened to a clear of its
    /// namespace, and a clear that still fails is abandoned, so no removal keeps recovery (or the server) busy forever.
    /// </summary>
    private async ValueTask ReplayAsync(CancellationToken cancellationToken)
    {
        JournalEntry[] entries;
        int generation;
        lock (_sync)
        {
            entries = _journal.TakeSnapshot();
            generation = _journal.Generation;
        }

        if (entries.Length == 0)
        {
            ThrowIfFailed(await ProbeAsync(cancellationToken).ConfigureAwait(false));
            return;
        }

        // In batches, so thousands of deletes share round trips; the entries commute, so their order is free.
        const int BatchSize = 64;
        var failures = new CacheBackendException?[entries.Length];
        var attempted = 0;
        var serverAnswers = false;
        try
        {
            var batch = new List<Task>(BatchSize);
            for (var start = 0; start < entries.Length; start += BatchSize)
            {
                batch.Clear();
                var end = Math.Min(start + BatchSize, entries.Length);
                for (var i = start; i < end; i++)
                {
                    batch.Add(ApplyAsync(entries, failures, i, cancellationToken));
                }

                await Task.WhenAll(batch).ConfigureAwait(false);
                attempted = end;
            }

            serverAnswers = Array.Exists(failures, static failure => failure is null)
                || await ProbeAnswersAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            SettleReplay(entries, failures, attempted, serverAnswers, generation);
        }

        if (Array.Find(failures, static failure => failure is not null) is { } first)
        {
            throw first;
        }
    }

    /// <summary>Applies one entry, keeping the server's failure (if any) instead of throwing it.</summary>
    private async Task ApplyAsync(JournalEntry[] entries, CacheBackendException?[] failures, int index, CancellationToken cancellationToken)
    {
        try
        {
            await ApplyAsync(entries[index], cancellationToken).ConfigureAwait(false);
        }
        catch (CacheBackendException exception)
        {
            failures[index] = exception;
        }
    }

    /// <summary>True when the server answers the probe read: the removals that failed did, not the server.</summary>
    private async ValueTask<bool> ProbeAnswersAsync(CancellationToken cancellationToken)
    {
        var probe = await ProbeAsync(cancellationToken).ConfigureAwait(false);
        return probe.Failure is null;
    }

    /// <summary>Asks the server to answer, by the probe its backend handed in (for a cluster primary, whatever reaches that node).</summary>
    private ValueTask<ReadOutcome<byte[]>> ProbeAsync(CancellationToken cancellationToken) => _probe.ProbeAsync(cancellationToken);

    /// <summary>Takes the applied entries out of the journal, and widens or abandons those that failed too often.</summary>
    private void SettleReplay(JournalEntry[] entries, CacheBackendException?[] failures, int attempted, bool serverAnswers, int generation)
    {
        var outcomes = new ReplayOutcome[attempted];
        var applied = 0;
        List<(JournalEntry Entry, ReplayOutcome Outcome, string? Error)>? givenUp = null;
        lock (_sync)
        {
            for (var i = 0; i < attempted; i++)
            {
                if (failures[i] is null)
                {
                    outcomes[i] = ReplayOutcome.Applied;
                    applied++;
                }
                else if (serverAnswers && _journal.CountFailedReplay(entries[i]) >= _maxReplayAttempts)
                {
                    outcomes[i] = entries[i].Widen() == entries[i] ? ReplayOutcome.Abandoned : ReplayOutcome.Widened;
                    (givenUp ??= []).Add((entries[i], outcomes[i], failures[i]!.Message));
                }
            }

            _journal.Complete(outcomes, generation);
            _pendingRemovals = _journal.Count;
        }

        if (applied > 0)
        {
            _statistics.RecordReplayedOperations(applied);
        }

        foreach (var (entry, outcome, error) in givenUp ?? [])
        {
            if (outcome == ReplayOutcome.Abandoned)
            {
                _statistics.RecordAbandonedRemoval();
                RecoveryLog.ReplayAbandoned(_logger, _inner.Name, entry.Operation, entry.TenantId, _maxReplayAttempts, error);
            }
            else
            {
                RecoveryLog.ReplayWidened(_logger, _inner.Name, entry.Operation, entry.TenantId, entry.Text, _maxReplayAttempts, error);
            }
        }
    }

    private async Task ApplyAsync(JournalEntry entry, CancellationToken cancellationToken)
    {
        var outcome = entry.Operation switch
        {
            JournalOperation.Delete => (await _inner.DeleteAsync(new CacheKey(entry.TenantId, entry.Text!), cancellationToken).ConfigureAwait(false)).Failure,
            JournalOperation.Invalidate => (await _inner.InvalidateAsync(entry.TenantId, GlobPattern.Parse(entry.Text!), cancellationToken).ConfigureAwait(false)).Failure,

            // Clear(null) would clear every tenant; the global namespace alone is "every key of it".
            JournalOperation.ClearNamespace when entry.TenantId is null => (await _inner.InvalidateAsync(null, MatchAll, cancellationToken).ConfigureAwait(false)).Failure,
            JournalOperation.ClearNamespace => (await _inner.ClearAsync(entry.TenantId, cancellationToken).ConfigureAwait(false)).Failure,
            _ => (await _inner.ClearAsync(null, cancellationToken).ConfigureAwait(false)).Failure,
        };
        if (outcome is not null)
        {
            throw outcome;
        }
    }

    /// <summary>
    /// Switches back to healthy if nothing is left to replay, the breaker is closed and the last failure is at least
    /// the settle time ago; otherwise says how long to wait before the next round.
    /// </summary>
    private bool TryFinishRecovery(out TimeSpan wait)
    {
        ICacheStore? fallback;
        wait = TimeSpan.Zero;
        lock (_sync)
        {
            if (_journal.Count > 0 || _breakerOpen || _disposingToken.IsCancellationRequested)
            {
                return false;
            }

            var quiet = _time.GetElapsedTime(_lastFailureAt);
            if (quiet < _settleTime)
            {
                wait = _settleTime - quiet;
                return false;
            }

            fallback = _fallback;
            _fallback = null;
            _mode = HealthyMode;
            _recovery = null;
            Transition_NeedsLock(CacheHealthStatus.Healthy);
        }

        // Reads go to the server from now on; what this instance kept during the outage is dropped.
        fallback?.Dispose();
        return true;
    }

    private static JournalEntry InvalidateEntry(string? tenantId, GlobPattern pattern) =>
        pattern.IsMatchAll ? new JournalEntry(JournalOperation.ClearNamespace, tenantId, null)
        : pattern.ExactKey is { } exactKey ? new JournalEntry(JournalOperation.Delete, tenantId, exactKey)
        : new JournalEntry(JournalOperation.Invalidate, tenantId, pattern.Pattern);

    private static JournalEntry ClearEntry(string? tenantId) =>
        tenantId is null ? JournalEntry.ClearAll : new JournalEntry(JournalOperation.ClearNamespace, tenantId, null);
}
