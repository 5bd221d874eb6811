using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Polly;
using Polly.CircuitBreaker;

namespace Motadata.Cache.Stores.Tiers.Recovery;

// The one guarded call every operation goes through, in its synchronous and asynchronous forms. The call itself is the
// operation, a value (Stores/StoreOperations.cs); what recovery does around it is its policy, a type implementing
// IGuardedOperation (RecoveringStore.Operations.cs). Both are resolved at compile time, so the guard costs no delegate
// or allocation. Outcomes stay values inside the circuit breaker too: Polly judges the returned outcome
// (ShouldHandle in RecoveringStore.cs), so nothing is thrown for it to count, and an open circuit comes back as an
// outcome (ExecuteOutcomeAsync) instead of a BrokenCircuitException.
internal sealed partial class RecoveringStore
{
    /// <summary>What recovery does around one operation.</summary>
    private interface IGuardedOperation<TOperation, TOutcome>
        where TOperation : struct, IStoreOperation<TOutcome>
        where TOutcome : struct, IStoreOutcome
    {
        /// <summary>
        /// True for reads: while recovering they also skip the server when removals are still to be replayed on it
        /// (the server may hold what was removed); other operations skip it only while the breaker is open.
        /// </summary>
        static abstract bool IsRead { get; }

        /// <summary>
        /// The server did not take the call: it failed (<paramref name="failure"/>), or it was not asked (breaker open,
        /// removals pending; <paramref name="failure"/> null). Journals what must not be lost and answers without the
        /// server (a miss, the fallback tier, zero).
        /// </summary>
        static abstract TOutcome WithoutServer(RecoveringStore recovery, in TOperation operation, CacheBackendException? failure);

        /// <summary>The server answered while recovering: keeps the fallback tier in step with it.</summary>
        static abstract TOutcome Served(RecoveringStore recovery, in TOperation operation, TOutcome outcome);
    }

    private TOutcome Run<TPolicy, TOperation, TOutcome>(in TOperation operation)
        where TPolicy : IGuardedOperation<TOperation, TOutcome>
        where TOperation : struct, IStoreOperation<TOutcome>
        where TOutcome : struct, IStoreOutcome
    {
        if (_mode == HealthyMode)
        {
            // The healthy path: one volatile read, then straight to the server.
            var outcome = operation.Call(_inner);
            return outcome.Failure is { } failure ? TPolicy.WithoutServer(this, operation, failure) : outcome;
        }

        if (TPolicy.IsRead ? CanReadServer : !BreakerOpen)
        {
            // The callback completes synchronously (a synchronous store call), so the breaker's answer does too.
            var context = ResilienceContextPool.Shared.Get(CancellationToken.None);
            try
            {
                var pending = _pipeline.ExecuteOutcomeAsync(
                    static (_, s) => new ValueTask<Outcome<TOutcome>>(Outcome.FromResult(s.Operation.Call(s.Inner))),
                    context,
                    (Inner: _inner, Operation: operation));
                return Settle<TPolicy, TOperation, TOutcome>(operation, pending.IsCompleted ? pending.Result : pending.AsTask().GetAwaiter().GetResult());
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }

        return TPolicy.WithoutServer(this, operation, null);
    }

    private ValueTask<TOutcome> RunAsync<TPolicy, TOperation, TOutcome>(TOperation operation, CancellationToken cancellationToken)
        where TPolicy : IGuardedOperation<TOperation, TOutcome>
        where TOperation : struct, IStoreOperation<TOutcome>
        where TOutcome : struct, IStoreOutcome
    {
        if (_mode != HealthyMode)
        {
            return RunRecoveringAsync<TPolicy, TOperation, TOutcome>(operation, cancellationToken);
        }

        var pending = operation.CallAsync(_inner, cancellationToken);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitHealthyAsync<TPolicy, TOperation, TOutcome>(pending, operation);
        }

        var outcome = pending.Result;
        return new(outcome.Failure is { } failure ? TPolicy.WithoutServer(this, operation, failure) : outcome);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TOutcome> AwaitHealthyAsync<TPolicy, TOperation, TOutcome>(ValueTask<TOutcome> pending, TOperation operation)
        where TPolicy : IGuardedOperation<TOperation, TOutcome>
        where TOperation : struct, IStoreOperation<TOutcome>
        where TOutcome : struct, IStoreOutcome
    {
        var outcome = await pending.ConfigureAwait(false);
        return outcome.Failure is { } failure ? TPolicy.WithoutServer(this, operation, failure) : outcome;
    }

    private async ValueTask<TOutcome> RunRecoveringAsync<TPolicy, TOperation, TOutcome>(TOperation operation, CancellationToken cancellationToken)
        where TPolicy : IGuardedOperation<TOperation, TOutcome>
        where TOperation : struct, IStoreOperation<TOutcome>
        where TOutcome : struct, IStoreOutcome
    {
        if (TPolicy.IsRead ? CanReadServer : !BreakerOpen)
        {
            var context = ResilienceContextPool.Shared.Get(cancellationToken);
            try
            {
                var guarded = await _pipeline.ExecuteOutcomeAsync(
                    static async (context, s) => Outcome.FromResult(await s.Operation.CallAsync(s.Inner, context.CancellationToken).ConfigureAwait(false)),
                    context,
                    (Inner: _inner, Operation: operation)).ConfigureAwait(false);
                return Settle<TPolicy, TOperation, TOutcome>(operation, guarded);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }

        return TPolicy.WithoutServer(this, operation, null);
    }

    /// <summary>
    /// What the breaker's answer comes to: the server's outcome (served, or failed and handled without it), or, when
    /// the circuit opened meanwhile, an answer without the server. Anything else thrown below (the caller's
    /// cancellation, a bug) is thrown on, with its stack.
    /// </summary>
    private TOutcome Settle<TPolicy, TOperation, TOutcome>(in TOperation operation, in Outcome<TOutcome> guarded)
        where TPolicy : IGuardedOperation<TOperation, TOutcome>
        where TOperation : struct, IStoreOperation<TOutcome>
        where TOutcome : struct, IStoreOutcome
    {
        switch (guarded.Exception)
        {
            case null:
                var outcome = guarded.Result;
                return outcome.Failure is { } failure ? TPolicy.WithoutServer(this, operation, failure) : TPolicy.Served(this, operation, outcome);
            case BrokenCircuitException:
                return TPolicy.WithoutServer(this, operation, null);
            case var exception:
                ExceptionDispatchInfo.Throw(exception);
                return default;
        }
    }

    /// <summary>The breaker's judgement of one call: a failure the server returned counts, as does one thrown below (the replay's).</summary>
    private static CacheBackendException? FailureOf<TResult>(in Outcome<TResult> outcome) =>
        outcome.Exception as CacheBackendException ?? (outcome.Result as IStoreOutcome)?.Failure;

    private static TOutcome ThrowIfFailed<TOutcome>(TOutcome outcome)
        where TOutcome : struct, IStoreOutcome =>
        outcome.Failure is { } failure ? throw failure : outcome;
}
