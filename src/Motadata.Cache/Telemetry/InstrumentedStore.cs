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

    public ValueTask<CacheLookup<T>> TryGetAsync<T>(CacheKey key, CancellationToken cancellationToken)
    {
        return _telemetry.IsObserved ? Observed(key, cancellationToken) : _inner.TryGetAsync<T>(key, cancellationToken);

        async ValueTask<CacheLookup<T>> Observed(CacheKey key, CancellationToken cancellationToken)
        {
            using var scope = _telemetry.Start("get", key.TenantId);
            try
            {
                return await _inner.TryGetAsync<T>(key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (scope.Fail(exception))
            {
                throw;
            }
        }
    }

    public ValueTask<T?> GetAsync<T>(CacheKey key, T? defaultValue, TenantCounters counters, IGetFailureHandler? onFailure, CancellationToken cancellationToken)
    {
        return _telemetry.IsObserved
            ? Observed(key, defaultValue, counters, onFailure, cancellationToken)
            : _inner.GetAsync(key, defaultValue, counters, onFailure, cancellationToken);

        async ValueTask<T?> Observed(CacheKey key, T? defaultValue, TenantCounters counters, IGetFailureHandler? onFailure, CancellationToken cancellationToken)
        {
            using var scope = _telemetry.Start("get", key.TenantId);
            try
            {
                return await _inner.GetAsync(key, defaultValue, counters, onFailure, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (scope.Fail(exception))
            {
                throw;
            }
        }
    }

    public ValueTask<CacheLookup<T>[]> TryGetManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        return _telemetry.IsObserved ? Observed(tenantId, keys, cancellationToken) : _inner.TryGetManyAsync<T>(tenantId, keys, cancellationToken);

        async ValueTask<CacheLookup<T>[]> Observed(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
        {
            using var scope = _telemetry.Start("get_many", tenantId);
            try
            {
                return await _inner.TryGetManyAsync<T>(tenantId, keys, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (scope.Fail(exception))
            {
                throw;
            }
        }
    }

    public bool Set<T>(in CacheKey key, T value, TimeSpan ttl)
    {
        if (!_telemetry.IsObserved)
        {
            return _inner.Set(key, value, ttl);
        }

        using var scope = _telemetry.Start("set", key.TenantId);
        try
        {
            return _inner.Set(key, value, ttl);
        }
        catch (Exception exception) when (scope.Fail(exception))
        {
            throw;
        }
    }

    public ValueTask<bool> SetAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        return _telemetry.IsObserved ? Observed(key, value, ttl, cancellationToken) : _inner.SetAsync(key, value, ttl, cancellationToken);

        async ValueTask<bool> Observed(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken)
        {
            using var scope = _telemetry.Start("set", key.TenantId);
            try
            {
                return await _inner.SetAsync(key, value, ttl, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (scope.Fail(exception))
            {
                throw;
            }
        }
    }

    public bool Delete(in CacheKey key)
    {
        if (!_telemetry.IsObserved)
        {
            return _inner.Delete(key);
        }

        using var scope = _telemetry.Start("delete", key.TenantId);
        try
        {
            return _inner.Delete(key);
        }
        catch (Exception exception) when (scope.Fail(exception))
        {
            throw;
        }
    }

    public ValueTask<bool> DeleteAsync(CacheKey key, CancellationToken cancellationToken)
    {
        return _telemetry.IsObserved ? Observed(key, cancellationToken) : _inner.DeleteAsync(key, cancellationToken);

        async ValueTask<bool> Observed(CacheKey key, CancellationToken cancellationToken)
        {
            using var scope = _telemetry.Start("delete", key.TenantId);
            try
            {
                return await _inner.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (scope.Fail(exception))
            {
                throw;
            }
        }
    }

    public long Invalidate(string? tenantId, GlobPattern pattern)
    {
        if (!_telemetry.IsObserved)
        {
            return _inner.Invalidate(tenantId, pattern);
        }

        using var scope = _telemetry.Start("invalidate", tenantId);
        try
        {
            return _inner.Invalidate(tenantId, pattern);
        }
        catch (Exception exception) when (scope.Fail(exception))
        {
            throw;
        }
    }

    public ValueTask<long> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken)
    {
        return _telemetry.IsObserved ? Observed(tenantId, pattern, cancellationToken) : _inner.InvalidateAsync(tenantId, pattern, cancellationToken);

        async ValueTask<long> Observed(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken)
        {
            using var scope = _telemetry.Start("invalidate", tenantId);
            try
            {
                return await _inner.InvalidateAsync(tenantId, pattern, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (scope.Fail(exception))
            {
                throw;
            }
        }
    }

    public long Clear(string? tenantId)
    {
        if (!_telemetry.IsObserved)
        {
            return _inner.Clear(tenantId);
        }

        using var scope = _telemetry.Start("clear", tenantId);
        try
        {
            return _inner.Clear(tenantId);
        }
        catch (Exception exception) when (scope.Fail(exception))
        {
            throw;
        }
    }

    public ValueTask<long> ClearAsync(string? tenantId, CancellationToken cancellationToken)
    {
        return _telemetry.IsObserved ? Observed(tenantId, cancellationToken) : _inner.ClearAsync(tenantId, cancellationToken);

        async ValueTask<long> Observed(string? tenantId, CancellationToken cancellationToken)
        {
            using var scope = _telemetry.Start("clear", tenantId);
            try
            {
                return await _inner.ClearAsync(tenantId, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (scope.Fail(exception))
            {
                throw;
            }
        }
    }

    public long SetMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl)
    {
        if (!_telemetry.IsObserved)
        {
            return _inner.SetMany(tenantId, entries, ttl);
        }

        using var scope = _telemetry.Start("set_many", tenantId);
        try
        {
            return _inner.SetMany(tenantId, entries, ttl);
        }
        catch (Exception exception) when (scope.Fail(exception))
        {
            throw;
        }
    }

    public ValueTask<long> SetManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken)
    {
        return _telemetry.IsObserved ? Observed(tenantId, entries, ttl, cancellationToken) : _inner.SetManyAsync(tenantId, entries, ttl, cancellationToken);

        async ValueTask<long> Observed(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken)
        {
            using var scope = _telemetry.Start("set_many", tenantId);
            try
            {
                return await _inner.SetManyAsync(tenantId, entries, ttl, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (scope.Fail(exception))
            {
                throw;
            }
        }
    }

    public StoreUsage GetUsage(string? tenantId)
    {
        if (!_telemetry.IsObserved)
        {
            return _inner.GetUsage(tenantId);
        }

        using var scope = _telemetry.Start("usage", tenantId);
        try
        {
            return _inner.GetUsage(tenantId);
        }
        catch (Exception exception) when (scope.Fail(exception))
        {
            throw;
        }
    }

    public ValueTask<StoreUsage> GetUsageAsync(string? tenantId, CancellationToken cancellationToken)
    {
        return _telemetry.IsObserved ? Observed(tenantId, cancellationToken) : _inner.GetUsageAsync(tenantId, cancellationToken);

        async ValueTask<StoreUsage> Observed(string? tenantId, CancellationToken cancellationToken)
        {
            using var scope = _telemetry.Start("usage", tenantId);
            try
            {
                return await _inner.GetUsageAsync(tenantId, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (scope.Fail(exception))
            {
                throw;
            }
        }
    }

    public void Dispose() => _inner.Dispose();

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
