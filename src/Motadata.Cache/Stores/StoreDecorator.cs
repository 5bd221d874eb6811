using System.Runtime.CompilerServices;
using Motadata.Cache.Keys;

namespace Motadata.Cache.Stores;

/// <summary>
/// The base of a tier that wraps one store: every member makes its operation a value (<see cref="IStoreOperation{TOutcome}"/>)
/// and hands it to <see cref="Run{TOperation, TOutcome}"/> or <see cref="RunAsync{TOperation, TOutcome}"/>, which
/// call the inner store. So a tier overrides only what it changes: one member (say, the writes), or the two
/// <c>Run</c> methods when it treats every operation alike (telemetry times them all), never nineteen forwards.
/// </summary>
/// <remarks>
/// The projected read (<see cref="ReadAsync{T, TResult, TProjection}"/>, the hot path of <c>GetAsync</c>) goes through
/// <see cref="RunAsync{TOperation, TOutcome}"/> too and applies the projection after it, which costs an async layer
/// when the read does not complete at once; a tier on the measured path overrides it to hand the projection down
/// instead (see <c>InstrumentedStore</c>), keeping one continuation per read.
/// </remarks>
internal abstract class StoreDecorator : ICacheStore
{
    protected StoreDecorator(ICacheStore inner) => Inner = inner;

    /// <summary>The store this tier wraps.</summary>
    protected ICacheStore Inner { get; }

    public virtual string Name => Inner.Name;

    public virtual ReadOutcome<T> Read<T>(in CacheKey key) => Run<ReadOperation<T>, ReadOutcome<T>>(new(key));

    public virtual ValueTask<ReadOutcome<T>> ReadAsync<T>(CacheKey key, CancellationToken cancellationToken) =>
        RunAsync<ReadOperation<T>, ReadOutcome<T>>(new(key), cancellationToken);

    public virtual ValueTask<TResult> ReadAsync<T, TResult, TProjection>(CacheKey key, TProjection projection, CancellationToken cancellationToken)
        where TProjection : struct, IReadProjection<T, TResult>
    {
        var pending = RunAsync<ReadOperation<T>, ReadOutcome<T>>(new(key), cancellationToken);
        return pending.IsCompletedSuccessfully ? new(projection.Project(pending.Result)) : ProjectAsync<T, TResult, TProjection>(pending, projection);
    }

    public virtual ReadOutcome<TimedValue<T>> ReadWithTtl<T>(in CacheKey key) => Run<ReadWithTtlOperation<T>, ReadOutcome<TimedValue<T>>>(new(key));

    public virtual ValueTask<ReadOutcome<TimedValue<T>>> ReadWithTtlAsync<T>(CacheKey key, CancellationToken cancellationToken) =>
        RunAsync<ReadWithTtlOperation<T>, ReadOutcome<TimedValue<T>>>(new(key), cancellationToken);

    public virtual ValueTask<StoreOutcome<ReadOutcome<T>[]>> ReadManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        RunAsync<ReadManyOperation<T>, StoreOutcome<ReadOutcome<T>[]>>(new(tenantId, keys), cancellationToken);

    public virtual WriteOutcome Write<T>(in CacheKey key, T value, TimeSpan ttl) => Run<WriteOperation<T>, WriteOutcome>(new(key, value, ttl));

    public virtual ValueTask<WriteOutcome> WriteAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync<WriteOperation<T>, WriteOutcome>(new(key, value, ttl), cancellationToken);

    public virtual StoreOutcome<bool> Extend(in CacheKey key, byte[] expected, TimeSpan ttl) => Run<ExtendOperation, StoreOutcome<bool>>(new(key, expected, ttl));

    public virtual ValueTask<StoreOutcome<bool>> ExtendAsync(CacheKey key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync<ExtendOperation, StoreOutcome<bool>>(new(key, expected, ttl), cancellationToken);

    public virtual StoreOutcome<bool> Delete(in CacheKey key) => Run<DeleteOperation, StoreOutcome<bool>>(new(key));

    public virtual ValueTask<StoreOutcome<bool>> DeleteAsync(CacheKey key, CancellationToken cancellationToken) =>
        RunAsync<DeleteOperation, StoreOutcome<bool>>(new(key), cancellationToken);

    public virtual StoreOutcome<long> Invalidate(string? tenantId, GlobPattern pattern) => Run<InvalidateOperation, StoreOutcome<long>>(new(tenantId, pattern));

    public virtual ValueTask<StoreOutcome<long>> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken) =>
        RunAsync<InvalidateOperation, StoreOutcome<long>>(new(tenantId, pattern), cancellationToken);

    public virtual StoreOutcome<long> Clear(string? tenantId) => Run<ClearOperation, StoreOutcome<long>>(new(tenantId));

    public virtual ValueTask<StoreOutcome<long>> ClearAsync(string? tenantId, CancellationToken cancellationToken) =>
        RunAsync<ClearOperation, StoreOutcome<long>>(new(tenantId), cancellationToken);

    public virtual StoreOutcome<long> WriteMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl) =>
        Run<WriteManyOperation<T>, StoreOutcome<long>>(new(tenantId, entries, ttl));

    public virtual ValueTask<StoreOutcome<long>> WriteManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync<WriteManyOperation<T>, StoreOutcome<long>>(new(tenantId, entries, ttl), cancellationToken);

    public virtual StoreOutcome<StoreUsage> GetUsage(string? tenantId) => Run<UsageOperation, StoreOutcome<StoreUsage>>(new(tenantId));

    public virtual ValueTask<StoreOutcome<StoreUsage>> GetUsageAsync(string? tenantId, CancellationToken cancellationToken) =>
        RunAsync<UsageOperation, StoreOutcome<StoreUsage>>(new(tenantId), cancellationToken);

    public virtual void Dispose() => Inner.Dispose();

    public virtual ValueTask DisposeAsync() => Inner.DisposeAsync();

    /// <summary>Every synchronous operation comes here; by default it is made on the inner store.</summary>
    protected virtual TOutcome Run<TOperation, TOutcome>(in TOperation operation)
        where TOperation : struct, IStoreOperation<TOutcome>
        where TOutcome : struct, IStoreOutcome =>
        operation.Call(Inner);

    /// <summary>Every asynchronous operation comes here; by default it is made on the inner store.</summary>
    protected virtual ValueTask<TOutcome> RunAsync<TOperation, TOutcome>(TOperation operation, CancellationToken cancellationToken)
        where TOperation : struct, IStoreOperation<TOutcome>
        where TOutcome : struct, IStoreOutcome =>
        operation.CallAsync(Inner, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<TResult> ProjectAsync<T, TResult, TProjection>(ValueTask<ReadOutcome<T>> pending, TProjection projection)
        where TProjection : struct, IReadProjection<T, TResult> =>
        projection.Project(await pending.ConfigureAwait(false));
}
