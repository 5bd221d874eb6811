using System.Diagnostics.CodeAnalysis;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
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

    /// <summary>The store being instrumented.</summary>
    public ICacheStore Inner => _inner;

    public bool TryGet<T>(in CacheKey key, [MaybeNullWhen(false)] out T value)
    {
        if (!_telemetry.IsObserved)
        {
            return _inner.TryGet(key, out value);
        }

        using var scope = _telemetry.Start("get", key.TenantId);
        try
        {
            return _inner.TryGet(key, out value);
        }
        catch (Exception exception) when (scope.Fail(exception))
        {
            throw;
        }
    }

    public ValueTask<CacheLookup<T>> TryGetAsync<T>(CacheKey key, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("get", key.TenantId, (key, cancellationToken), static (inner, s) => inner.TryGetAsync<T>(s.key, s.cancellationToken))
            : _inner.TryGetAsync<T>(key, cancellationToken);

    public ValueTask<T?> GetAsync<T>(CacheKey key, T? defaultValue, TenantCounters counters, IGetFailureHandler? onFailure, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync(
                "get",
                key.TenantId,
                (key, defaultValue, counters, onFailure, cancellationToken),
                static (inner, s) => inner.GetAsync(s.key, s.defaultValue, s.counters, s.onFailure, s.cancellationToken))
            : _inner.GetAsync(key, defaultValue, counters, onFailure, cancellationToken);

    public ValueTask<CacheLookup<T>[]> TryGetManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("get_many", tenantId, (tenantId, keys, cancellationToken), static (inner, s) => inner.TryGetManyAsync<T>(s.tenantId, s.keys, s.cancellationToken))
            : _inner.TryGetManyAsync<T>(tenantId, keys, cancellationToken);

    public bool Set<T>(in CacheKey key, T value, TimeSpan ttl) =>
        _telemetry.IsObserved
            ? Observe("set", key.TenantId, (key, value, ttl), static (inner, s) => inner.Set(s.key, s.value, s.ttl))
            : _inner.Set(key, value, ttl);

    public ValueTask<bool> SetAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("set", key.TenantId, (key, value, ttl, cancellationToken), static (inner, s) => inner.SetAsync(s.key, s.value, s.ttl, s.cancellationToken))
            : _inner.SetAsync(key, value, ttl, cancellationToken);

    public bool Delete(in CacheKey key) =>
        _telemetry.IsObserved
            ? Observe("delete", key.TenantId, key, static (inner, key) => inner.Delete(key))
            : _inner.Delete(key);

    public ValueTask<bool> DeleteAsync(CacheKey key, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("delete", key.TenantId, (key, cancellationToken), static (inner, s) => inner.DeleteAsync(s.key, s.cancellationToken))
            : _inner.DeleteAsync(key, cancellationToken);

    public long Invalidate(string? tenantId, GlobPattern pattern) =>
        _telemetry.IsObserved
            ? Observe("invalidate", tenantId, (tenantId, pattern), static (inner, s) => inner.Invalidate(s.tenantId, s.pattern))
            : _inner.Invalidate(tenantId, pattern);

    public ValueTask<long> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("invalidate", tenantId, (tenantId, pattern, cancellationToken), static (inner, s) => inner.InvalidateAsync(s.tenantId, s.pattern, s.cancellationToken))
            : _inner.InvalidateAsync(tenantId, pattern, cancellationToken);

    public long Clear(string? tenantId) =>
        _telemetry.IsObserved
            ? Observe("clear", tenantId, tenantId, static (inner, tenantId) => inner.Clear(tenantId))
            : _inner.Clear(tenantId);

    public ValueTask<long> ClearAsync(string? tenantId, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("clear", tenantId, (tenantId, cancellationToken), static (inner, s) => inner.ClearAsync(s.tenantId, s.cancellationToken))
            : _inner.ClearAsync(tenantId, cancellationToken);

    public long SetMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl) =>
        _telemetry.IsObserved
            ? Observe("set_many", tenantId, (tenantId, entries, ttl), static (inner, s) => inner.SetMany(s.tenantId, s.entries, s.ttl))
            : _inner.SetMany(tenantId, entries, ttl);

    public ValueTask<long> SetManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken) =>
        _telemetry.IsObserved
            ? ObserveAsync("set_many", tenantId, (tenantId, entries, ttl, cancellationToken), static (inner, s) => inner.SetManyAsync(s.tenantId, s.entries, s.ttl, s.cancellationToken))
            : _inner.SetManyAsync(tenantId, entries, ttl, cancellationToken);

    public StoreUsage GetUsage(string? tenantId) =>
        _telemetry.IsObserved
            ? Observe("usage", tenantId, tenantId, static (inner, tenantId) => inner.GetUsage(tenantId))
            : _inner.GetUsage(tenantId);

    public ValueTask<StoreUsage> GetUsageAsync(string? tenantId, CancellationToken cancellationToken) =>
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
    {
        using var scope = _telemetry.Start(operation, tenantId);
        try
        {
            return call(_inner, state);
        }
        catch (Exception exception) when (scope.Fail(exception))
        {
            throw;
        }
    }

    private async ValueTask<TResult> ObserveAsync<TState, TResult>(string operation, string? tenantId, TState state, Func<ICacheStore, TState, ValueTask<TResult>> call)
    {
        using var scope = _telemetry.Start(operation, tenantId);
        try
        {
            return await call(_inner, state).ConfigureAwait(false);
        }
        catch (Exception exception) when (scope.Fail(exception))
        {
            throw;
        }
    }
}
