using System.Runtime.CompilerServices;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Polly.CircuitBreaker;

namespace Motadata.Cache.Stores.Recovery;

// The asynchronous operations. The healthy paths of the hot ones (get, set, delete) return the inner store's
// ValueTask untouched when it completed at once, and otherwise await it in a pooled state machine: no allocation of
// our own per call.
internal sealed partial class RecoveringStore
{
    public ValueTask<CacheLookup<T>> TryGetAsync<T>(CacheKey key, CancellationToken cancellationToken)
    {
        if (_mode != HealthyMode)
        {
            return TryGetRecoveringAsync<T>(key, cancellationToken);
        }

        ValueTask<CacheLookup<T>> pending;
        try
        {
            pending = _inner.TryGetAsync<T>(key, cancellationToken);
        }
        catch (CacheBackendException exception)
        {
            OnFailure(exception);
            return new(LookUpFallback<T>(key));
        }

        return pending.IsCompletedSuccessfully ? pending : AwaitGetAsync(pending, key);
    }

    public ValueTask<T?> GetAsync<T>(CacheKey key, T? defaultValue, TenantCounters counters, IGetFailureHandler? onFailure, CancellationToken cancellationToken)
    {
        if (_mode != HealthyMode)
        {
            return CacheLookup<T>.CountAsync(TryGetRecoveringAsync<T>(key, cancellationToken), counters, defaultValue);
        }

        // A failure while waiting comes back to OnGetFailed from the inner store's own continuation, so the healthy
        // path adds no async layer; one thrown before the inner store waits is caught here. Either way the miss (or
        // the fallback tier's hit) it becomes is counted once.
        try
        {
            return _inner.GetAsync(key, defaultValue, counters, this, cancellationToken);
        }
        catch (CacheBackendException exception)
        {
            return new(((IGetFailureHandler)this).OnGetFailed<T>(key, exception).Count(counters, defaultValue));
        }
    }

    CacheLookup<T> IGetFailureHandler.OnGetFailed<T>(CacheKey key, CacheBackendException exception)
    {
        OnFailure(exception);
        return LookUpFallback<T>(key);
    }

    public ValueTask<bool> SetAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (_mode != HealthyMode)
        {
            return SetRecoveringAsync(key, value, ttl, cancellationToken);
        }

        ValueTask<bool> pending;
        try
        {
            pending = _inner.SetAsync(key, value, ttl, cancellationToken);
        }
        catch (CacheBackendException exception)
        {
            LoseSet(key, value, ttl, exception);
            return new(false);
        }

        return pending.IsCompletedSuccessfully ? pending : AwaitSetAsync(pending, key, value, ttl);
    }

    public ValueTask<bool> DeleteAsync(CacheKey key, CancellationToken cancellationToken)
    {
        if (_mode != HealthyMode)
        {
            return DeleteRecoveringAsync(key, cancellationToken);
        }

        ValueTask<bool> pending;
        try
        {
            pending = _inner.DeleteAsync(key, cancellationToken);
        }
        catch (CacheBackendException exception)
        {
            Journal(new JournalEntry(JournalOperation.Delete, key.TenantId, key.Key), exception);
            return new(false);
        }

        return pending.IsCompletedSuccessfully ? pending : AwaitDeleteAsync(pending, key);
    }

    public async ValueTask<CacheLookup<T>[]> TryGetManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (_mode == HealthyMode)
        {
            try
            {
                return await _inner.TryGetManyAsync<T>(tenantId, keys, cancellationToken).ConfigureAwait(false);
            }
            catch (CacheBackendException exception)
            {
                OnFailure(exception);
                return LookUpManyInFallback<T>(tenantId, keys);
            }
        }

        if (CanReadServer)
        {
            try
            {
                return await _pipeline.ExecuteAsync(
                    static (s, token) => s.Inner.TryGetManyAsync<T>(s.TenantId, s.Keys, token),
                    (Inner: _inner, TenantId: tenantId, Keys: keys),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (CacheBackendException exception)
            {
                OnFailure(exception);
            }
            catch (BrokenCircuitException)
            {
            }
        }

        return LookUpManyInFallback<T>(tenantId, keys);
    }

    public async ValueTask<long> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken)
    {
        if (_mode == HealthyMode)
        {
            try
            {
                return await _inner.InvalidateAsync(tenantId, pattern, cancellationToken).ConfigureAwait(false);
            }
            catch (CacheBackendException exception)
            {
                Journal(InvalidateEntry(tenantId, pattern), exception);
                return 0;
            }
        }

        var local = _fallback?.Invalidate(tenantId, pattern) ?? 0;
        if (!BreakerOpen)
        {
            try
            {
                return await _pipeline.ExecuteAsync(
                    static (s, token) => s.Inner.InvalidateAsync(s.TenantId, s.Pattern, token),
                    (Inner: _inner, TenantId: tenantId, Pattern: pattern),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (CacheBackendException exception)
            {
                Journal(InvalidateEntry(tenantId, pattern), exception);
                return local;
            }
            catch (BrokenCircuitException)
            {
            }
        }

        Journal(InvalidateEntry(tenantId, pattern), null);
        return local;
    }

    public async ValueTask<long> ClearAsync(string? tenantId, CancellationToken cancellationToken)
    {
        if (_mode == HealthyMode)
        {
            try
            {
                return await _inner.ClearAsync(tenantId, cancellationToken).ConfigureAwait(false);
            }
            catch (CacheBackendException exception)
            {
                Journal(ClearEntry(tenantId), exception);
                return 0;
            }
        }

        var local = _fallback?.Clear(tenantId) ?? 0;
        if (!BreakerOpen)
        {
            try
            {
                return await _pipeline.ExecuteAsync(
                    static (s, token) => s.Inner.ClearAsync(s.TenantId, token),
                    (Inner: _inner, TenantId: tenantId),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (CacheBackendException exception)
            {
                Journal(ClearEntry(tenantId), exception);
                return local;
            }
            catch (BrokenCircuitException)
            {
            }
        }

        Journal(ClearEntry(tenantId), null);
        return local;
    }

    public async ValueTask<long> SetManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (_mode == HealthyMode)
        {
            try
            {
                return await _inner.SetManyAsync(tenantId, entries, ttl, cancellationToken).ConfigureAwait(false);
            }
            catch (CacheBackendException exception)
            {
                LoseSetMany(tenantId, entries, ttl, exception);
                return 0;
            }
        }

        if (!BreakerOpen)
        {
            try
            {
                var stored = await _pipeline.ExecuteAsync(
                    static (s, token) => s.Inner.SetManyAsync(s.TenantId, s.Entries, s.Ttl, token),
                    (Inner: _inner, TenantId: tenantId, Entries: entries, Ttl: ttl),
                    cancellationToken).ConfigureAwait(false);
                KeepManyInFallback(tenantId, entries, ttl, stored);
                return stored;
            }
            catch (CacheBackendException exception)
            {
                LoseSetMany(tenantId, entries, ttl, exception);
                return 0;
            }
            catch (BrokenCircuitException)
            {
            }
        }

        LoseSetMany(tenantId, entries, ttl, null);
        return 0;
    }

    public async ValueTask<StoreUsage> GetUsageAsync(string? tenantId, CancellationToken cancellationToken)
    {
        if (_mode == HealthyMode)
        {
            try
            {
                return await _inner.GetUsageAsync(tenantId, cancellationToken).ConfigureAwait(false);
            }
            catch (CacheBackendException exception)
            {
                OnFailure(exception);
                return default;
            }
        }

        if (!BreakerOpen)
        {
            try
            {
                return await _pipeline.ExecuteAsync(
                    static (s, token) => s.Inner.GetUsageAsync(s.TenantId, token),
                    (Inner: _inner, TenantId: tenantId),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (CacheBackendException exception)
            {
                OnFailure(exception);
            }
            catch (BrokenCircuitException)
            {
            }
        }

        return default;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CacheLookup<T>> AwaitGetAsync<T>(ValueTask<CacheLookup<T>> pending, CacheKey key)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        catch (CacheBackendException exception)
        {
            OnFailure(exception);
            return LookUpFallback<T>(key);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> AwaitSetAsync<T>(ValueTask<bool> pending, CacheKey key, T value, TimeSpan ttl)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        catch (CacheBackendException exception)
        {
            LoseSet(key, value, ttl, exception);
            return false;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> AwaitDeleteAsync(ValueTask<bool> pending, CacheKey key)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        catch (CacheBackendException exception)
        {
            Journal(new JournalEntry(JournalOperation.Delete, key.TenantId, key.Key), exception);
            return false;
        }
    }

    private async ValueTask<CacheLookup<T>> TryGetRecoveringAsync<T>(CacheKey key, CancellationToken cancellationToken)
    {
        if (CanReadServer)
        {
            try
            {
                return await _pipeline.ExecuteAsync(
                    static (s, token) => s.Inner.TryGetAsync<T>(s.Key, token),
                    (Inner: _inner, Key: key),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (CacheBackendException exception)
            {
                OnFailure(exception);
            }
            catch (BrokenCircuitException)
            {
            }
        }

        return LookUpFallback<T>(key);
    }

    private async ValueTask<bool> SetRecoveringAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (!BreakerOpen)
        {
            try
            {
                var stored = await _pipeline.ExecuteAsync(
                    static (s, token) => s.Inner.SetAsync(s.Key, s.Value, s.Ttl, token),
                    (Inner: _inner, Key: key, Value: value, Ttl: ttl),
                    cancellationToken).ConfigureAwait(false);
                KeepInFallback(key, value, ttl, stored);
                return stored;
            }
            catch (CacheBackendException exception)
            {
                LoseSet(key, value, ttl, exception);
                return false;
            }
            catch (BrokenCircuitException)
            {
            }
        }

        LoseSet(key, value, ttl, null);
        return false;
    }

    private async ValueTask<bool> DeleteRecoveringAsync(CacheKey key, CancellationToken cancellationToken)
    {
        var local = _fallback?.Delete(key) ?? false;
        if (!BreakerOpen)
        {
            try
            {
                return await _pipeline.ExecuteAsync(
                    static (s, token) => s.Inner.DeleteAsync(s.Key, token),
                    (Inner: _inner, Key: key),
                    cancellationToken).ConfigureAwait(false) | local;
            }
            catch (CacheBackendException exception)
            {
                Journal(new JournalEntry(JournalOperation.Delete, key.TenantId, key.Key), exception);
                return local;
            }
            catch (BrokenCircuitException)
            {
            }
        }

        Journal(new JournalEntry(JournalOperation.Delete, key.TenantId, key.Key), null);
        return local;
    }

    private CacheLookup<T> LookUpFallback<T>(in CacheKey key) =>
        TryGetFallback(key, out T? value) ? new CacheLookup<T>(true, value) : CacheLookup<T>.Miss;

    private CacheLookup<T>[] LookUpManyInFallback<T>(string? tenantId, IReadOnlyList<string> keys)
    {
        var results = new CacheLookup<T>[keys.Count];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = LookUpFallback<T>(new CacheKey(tenantId, keys[i]));
        }

        return results;
    }
}
