using System.Runtime.CompilerServices;
using Polly.CircuitBreaker;

namespace Motadata.Cache.Stores.Recovery;

// The one guarded call every operation goes through, in its synchronous and asynchronous forms. What differs per
// operation (which store call, what to do when the server did not take it) is its policy: a type implementing
// IGuardedOperation (RecoveringStore.Operations.cs), resolved at compile time, so the guard costs no delegate or
// allocation.
internal sealed partial class RecoveringStore
{
    /// <summary>One operation under recovery: the store call, and what recovery does around it.</summary>
    private interface IGuardedOperation<TState, TOutcome>
        where TOutcome : struct, IStoreOutcome
    {
        /// <summary>
        /// True for reads: while recovering they also skip the server when removals are still to be replayed on it
        /// (the server may hold what was removed); other operations skip it only while the breaker is open.
        /// </summary>
        static abstract bool IsRead { get; }

        static abstract TOutcome Call(ICacheStore store, in TState state);

        static abstract ValueTask<TOutcome> CallAsync(ICacheStore store, TState state, CancellationToken cancellationToken);

        /// <summary>
        /// The server did not take the call: it failed (<paramref name="failure"/>), or it was not asked (breaker open,
        /// removals pending; <paramref name="failure"/> null). Journals what must not be lost and answers without the
        /// server (a miss, the fallback tier, zero).
        /// </summary>
        static abstract TOutcome WithoutServer(RecoveringStore recovery, in TState state, CacheBackendException? failure);

        /// <summary>The server answered while recovering: keeps the fallback tier in step with it.</summary>
        static abstract TOutcome Served(RecoveringStore recovery, in TState state, TOutcome outcome);
    }

    private TOutcome Run<TOperation, TState, TOutcome>(in TState state)
        where TOperation : IGuardedOperation<TState, TOutcome>
        where TOutcome : struct, IStoreOutcome
    {
        if (_mode == HealthyMode)
        {
            // The healthy path: one volatile read, then straight to the server.
            var outcome = TOperation.Call(_inner, state);
            return outcome.Failure is { } failure ? TOperation.WithoutServer(this, state, failure) : outcome;
        }

        if (TOperation.IsRead ? CanReadServer : !BreakerOpen)
        {
            try
            {
                // Inside the breaker a failure is thrown, so that Polly counts it.
                var outcome = _pipeline.Execute(
                    static s => ThrowIfFailed(TOperation.Call(s.Inner, s.State)),
                    (Inner: _inner, State: state));
                return TOperation.Served(this, state, outcome);
            }
            catch (CacheBackendException failure)
            {
                return TOperation.WithoutServer(this, state, failure);
            }
            catch (BrokenCircuitException)
            {
                // Opened meanwhile: answered without the server below.
            }
        }

        return TOperation.WithoutServer(this, state, null);
    }

    private ValueTask<TOutcome> RunAsync<TOperation, TState, TOutcome>(TState state, CancellationToken cancellationToken)
        where TOperation : IGuardedOperation<TState, TOutcome>
        where TOutcome : struct, IStoreOutcome
    {
        if (_mode != HealthyMode)
        {
            return RunRecoveringAsync<TOperation, TState, TOutcome>(state, cancellationToken);
        }

        var pending = TOperation.CallAsync(_inner, state, cancellationToken);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitHealthyAsync<TOperation, TState, TOutcome>(pending, state);
        }

        var outcome = pending.Result;
        return new(outcome.Failure is { } failure ? TOperation.WithoutServer(this, state, failure) : outcome);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TOutcome> AwaitHealthyAsync<TOperation, TState, TOutcome>(ValueTask<TOutcome> pending, TState state)
        where TOperation : IGuardedOperation<TState, TOutcome>
        where TOutcome : struct, IStoreOutcome
    {
        var outcome = await pending.ConfigureAwait(false);
        return outcome.Failure is { } failure ? TOperation.WithoutServer(this, state, failure) : outcome;
    }

    private async ValueTask<TOutcome> RunRecoveringAsync<TOperation, TState, TOutcome>(TState state, CancellationToken cancellationToken)
        where TOperation : IGuardedOperation<TState, TOutcome>
        where TOutcome : struct, IStoreOutcome
    {
        if (TOperation.IsRead ? CanReadServer : !BreakerOpen)
        {
            try
            {
                var outcome = await _pipeline.ExecuteAsync(
                    static async (s, token) => ThrowIfFailed(await TOperation.CallAsync(s.Inner, s.State, token).ConfigureAwait(false)),
                    (Inner: _inner, State: state),
                    cancellationToken).ConfigureAwait(false);
                return TOperation.Served(this, state, outcome);
            }
            catch (CacheBackendException failure)
            {
                return TOperation.WithoutServer(this, state, failure);
            }
            catch (BrokenCircuitException)
            {
                // Opened meanwhile: answered without the server below.
            }
        }

        return TOperation.WithoutServer(this, state, null);
    }

    private static TOutcome ThrowIfFailed<TOutcome>(TOutcome outcome)
        where TOutcome : struct, IStoreOutcome =>
        outcome.Failure is { } failure ? throw failure : outcome;
}
