using Motadata.Cache.Keys;
using Motadata.Cache.Stores;

namespace Motadata.Cache.Telemetry;

/// <summary>
/// Times and traces every call to a remote store. When nobody listens each call is one extra check and a direct
/// forward: no scope, no timestamp, no async state machine.
/// </summary>
internal sealed class InstrumentedStore : ICacheStore
{
    private readonly ICacheStore _inner;
    private readonly CacheTelemetry _telemetry;

    public InstrumentedStore(ICacheStore inner, CacheTelemetry telemetry)
    {
        _inner = inner;
        _telemetry = telemetry;
    }

    public string Name => _inner.Name;

    public ReadOutcome<T> Read<T>(in CacheKey key) =>
        _telemetry.IsObserved
            ? Observe("get", key.TenantId, key, static (inner, key) => inner.Read<T>(key))
            : _inner.Read<T>(key);

    public ValueTask<ReadOutcome<T>> ReadAsync<T>(CacheKey key, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("get", key.TenantId, (key, cancellationToken), static (inner, s) => inner.ReadAsync<T>(s.key, s.cancellationToken))
            : _inner.ReadAsync<T>(key, cancellationToken);

    public ValueTask<TResult> ReadAsync<T, TResult, TProjection>(CacheKey key, TProjection projection, CancellationToken cancellationToken)
        where TProjection : struct, IReadProjection<T, TResult> =>
        _telemetry.IsObserved
            ? ObserveReadAsync<T, TResult, TProjection>(key, projection, cancellationToken)
            : _inner.ReadAsync<T, TResult, TProjection>(key, projection, cancellationToken);

    public ValueTask<StoreOutcome<ReadOutcome<T>[]>> ReadManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("get_many", tenantId, (tenantId, keys, cancellationToken), static (inner, s) => inner.ReadManyAsync<T>(s.tenantId, s.keys, s.cancellationToken))
            : _inner.ReadManyAsync<T>(tenantId, keys, cancellationToken);

    public WriteOutcome Write<T>(in CacheKey key, T value, TimeSpan ttl) =>
        _telemetry.IsObserved
            ? Observe("set", key.TenantId, (key, value, ttl), static (inner, s) => inner.Write(s.key, s.value, s.ttl))
            : _inner.Write(key, value, ttl);

    public ValueTask<WriteOutcome> WriteAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("set", key.TenantId, (key, value, ttl, cancellationToken), static (inner, s) => inner.WriteAsync(s.key, s.value, s.ttl, s.cancellationToken))
            : _inner.WriteAsync(key, value, ttl, cancellationToken);

    public StoreOutcome<bool> Extend(in CacheKey key, byte[] expected, TimeSpan ttl) =>
        _telemetry.IsObserved
            ? Observe("extend", key.TenantId, (key, expected, ttl), static (inner, s) => inner.Extend(s.key, s.expected, s.ttl))
            : _inner.Extend(key, expected, ttl);

    public ValueTask<StoreOutcome<bool>> ExtendAsync(CacheKey key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("extend", key.TenantId, (key, expected, ttl, cancellationToken), static (inner, s) => inner.ExtendAsync(s.key, s.expected, s.ttl, s.cancellationToken))
            : _inner.ExtendAsync(key, expected, ttl, cancellationToken);

    public StoreOutcome<bool> Delete(in CacheKey key) =>
        _telemetry.IsObserved
            ? Observe("delete", key.TenantId, key, static (inner, key) => inner.Delete(key))
            : _inner.Delete(key);

    public ValueTask<StoreOutcome<bool>> DeleteAsync(CacheKey key, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("delete", key.TenantId, (key, cancellationToken), static (inner, s) => inner.DeleteAsync(s.key, s.cancellationToken))
            : _inner.DeleteAsync(key, cancellationToken);

    public StoreOutcome<long> Invalidate(string? tenantId, GlobPattern pattern) =>
        _telemetry.IsObserved
            ? Observe("invalidate", tenantId, (tenantId, pattern), static (inner, s) => inner.Invalidate(s.tenantId, s.pattern))
            : _inner.Invalidate(tenantId, pattern);

    public ValueTask<StoreOutcome<long>> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("invalidate", tenantId, (tenantId, pattern, cancellationToken), static (inner, s) => inner.InvalidateAsync(s.tenantId, s.pattern, s.cancellationToken))
            : _inner.InvalidateAsync(tenantId, pattern, cancellationToken);

    public StoreOutcome<long> Clear(string? tenantId) =>
        _telemetry.IsObserved
            ? Observe("clear", tenantId, tenantId, static (inner, tenantId) => inner.Clear(tenantId))
            : _inner.Clear(tenantId);

    public ValueTask<StoreOutcome<long>> ClearAsync(string? tenantId, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("clear", tenantId, (tenantId, cancellationToken), static (inner, s) => inner.ClearAsync(s.tenantId, s.cancellationToken))
            : _inner.ClearAsync(tenantId, cancellationToken);

    public StoreOutcome<long> WriteMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl) =>
        _telemetry.IsObserved
            ? Observe("set_many", tenantId, (tenantId, entries, ttl), static (inner, s) => inner.WriteMany(s.tenantId, s.entries, s.ttl))
            : _inner.WriteMany(tenantId, entries, ttl);

    public ValueTask<StoreOutcome<long>> WriteManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("set_many", tenantId, (tenantId, entries, ttl, cancellationToken), static (inner, s) => inner.WriteManyAsync(s.tenantId, s.entries, s.ttl, s.cancellationToken))
            : _inner.WriteManyAsync(tenantId, entries, ttl, cancellationToken);

    public StoreOutcome<StoreUsage> GetUsage(string? tenantId) =>
        _telemetry.IsObserved
            ? Observe("usage", tenantId, tenantId, static (inner, tenantId) => inner.GetUsage(tenantId))
            : _inner.GetUsage(tenantId);

    public ValueTask<StoreOutcome<StoreUsage>> GetUsageAsync(string? tenantId, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("usage", tenantId, (tenantId, cancellationToken), static (inner, s) => inner.GetUsageAsync(s.tenantId, s.cancellationToken))
            : _inner.GetUsageAsync(tenantId, cancellationToken);

    public void Dispose() => _inner.Dispose();

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    // The observed path only. The arguments travel as a value-tuple state and the call is a static lambda (cached
    // once per closed generic type), so observing adds no allocation beyond the scope and, for async, the one state
    // machine the hand-written local functions had. The scope starts before the inner call so its synchronous part
    // (and any synchronous throw) is timed and traced.
    private TResult Observe<TState, TResult>(string operation, string? tenantId, TState state, Func<ICacheStore, TState, TResult> call)
        where TResult : struct, IStoreOutcome
    {
        using var scope = _telemetry.Start(operation, tenantId);
        try
        {
            return MarkFailure(scope, call(_inner, state));
        }
        catch (Exception exception) when (scope.Fail(exception))
        {
            throw;
        }
    }

    private async ValueTask<TResult> ObserveAsync<TState, TResult>(string operation, string? tenantId, TState state, Func<ICacheStore, TState, ValueTask<TResult>> call)
        where TResult : struct, IStoreOutcome
    {
        using var scope = _telemetry.Start(operation, tenantId);
        try
        {
            return MarkFailure(scope, await call(_inner, state).ConfigureAwait(false));
        }
        catch (Exception exception) when (scope.Fail(exception))
        {
            throw;
        }
    }

    /// <summary>The observed read: the outcome is looked at (and the call timed) before the projection gets it.</summary>
    private async ValueTask<TResult> ObserveReadAsync<T, TResult, TProjection>(CacheKey key, TProjection projection, CancellationToken cancellationToken)
        where TProjection : struct, IReadProjection<T, TResult>
    {
        var outcome = await ObserveAsync("get", key.TenantId, (key, cancellationToken), static (inner, s) => inner.ReadAsync<T>(s.key, s.cancellationToken)).ConfigureAwait(false);
        return projection.Project(outcome);
    }

    /// <summary>A failure the store returned (rather than threw) marks the call failed too.</summary>
    private static TResult MarkFailure<TResult>(OperationScope scope, TResult outcome)
        where TResult : struct, IStoreOutcome
    {
        if (outcome.Failure is { } failure)
        {
            scope.Fail(failure);
        }

        return outcome;
    }
}
