using Motadata.Cache.Keys;
using Motadata.Cache.Stores;

namespace Motadata.Cache.Telemetry;

/// <summary>
/// Times and traces every call to a remote store: a tier that treats every operation alike, so it is the two
/// <c>Run</c> methods of <see cref="StoreDecorator"/> (the operation's name and namespace come with the operation). When
/// nobody listens each call is one extra check and a direct forward: no scope, no timestamp, no async state machine.
/// </summary>
internal sealed class InstrumentedStore : StoreDecorator
{
    private readonly CacheTelemetry _telemetry;

    public InstrumentedStore(ICacheStore inner, CacheTelemetry telemetry)
        : base(inner)
    {
        _telemetry = telemetry;
    }

    /// <summary>The hot path of <c>GetAsync</c>: unobserved, the caller's projection goes down as it is (one continuation for the stack).</summary>
    public override ValueTask<TResult> ReadAsync<T, TResult, TProjection>(CacheKey key, TProjection projection, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? base.ReadAsync<T, TResult, TProjection>(key, projection, cancellationToken)
            : Inner.ReadAsync<T, TResult, TProjection>(key, projection, cancellationToken);

    // The scope starts before the inner call so its synchronous part (and any synchronous throw) is timed and traced.
    protected override TOutcome Run<TOperation, TOutcome>(in TOperation operation)
    {
        if (!_telemetry.IsObserved)
        {
            return operation.Call(Inner);
        }

        using var scope = _telemetry.Start(operation.Name, operation.TenantId);
        try
        {
            return MarkFailure(scope, operation.Call(Inner));
        }
        catch (Exception exception) when (scope.Fail(exception))
        {
            throw;
        }
    }

    protected override ValueTask<TOutcome> RunAsync<TOperation, TOutcome>(TOperation operation, CancellationToken cancellationToken) =>
        _telemetry.IsObserved ? ObserveAsync<TOperation, TOutcome>(operation, cancellationToken) : operation.CallAsync(Inner, cancellationToken);

    private async ValueTask<TOutcome> ObserveAsync<TOperation, TOutcome>(TOperation operation, CancellationToken cancellationToken)
        where TOperation : struct, IStoreOperation<TOutcome>
        where TOutcome : struct, IStoreOutcome
    {
        using var scope = _telemetry.Start(operation.Name, operation.TenantId);
        try
        {
            return MarkFailure(scope, await operation.CallAsync(Inner, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception exception) when (scope.Fail(exception))
        {
            throw;
        }
    }

    /// <summary>A failure the store returned (rather than threw) marks the call failed too.</summary>
    private static TOutcome MarkFailure<TOutcome>(OperationScope scope, TOutcome outcome)
        where TOutcome : struct, IStoreOutcome
    {
        if (outcome.Failure is { } failure)
        {
            scope.Fail(failure);
        }

        return outcome;
    }
}
