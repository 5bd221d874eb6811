using System.Diagnostics.CodeAnalysis;
using Motadata.Cache.Keys;
using Polly.CircuitBreaker;

namespace Motadata.Cache.Stores.Recovery;

// The synchronous operations. Each has a healthy path (straight to the inner store, failures caught) and a
// recovering path (through the breaker while it is closed, at once while it is open).
internal sealed partial class RecoveringStore
{
    public bool TryGet<T>(in CacheKey key, [MaybeNullWhen(false)] out T value)
    {
        if (_mode == HealthyMode)
        {
            try
            {
                return _inner.TryGet(key, out value);
            }
            catch (CacheBackendException exception)
            {
                OnFailure(exception);
                return TryGetFallback(key, out value);
            }
        }

        return TryGetRecovering(key, out value);
    }

    public bool Set<T>(in CacheKey key, T value, TimeSpan ttl)
    {
        if (_mode == HealthyMode)
        {
            try
            {
                return _inner.Set(key, value, ttl);
            }
            catch (CacheBackendException exception)
            {
                LoseSet(key, value, ttl, exception);
                return false;
            }
        }

        return SetRecovering(key, value, ttl);
    }

    public bool Delete(in CacheKey key)
    {
        if (_mode == HealthyMode)
        {
            try
            {
                return _inner.Delete(key);
            }
            catch (CacheBackendException exception)
            {
                Journal(new JournalEntry(JournalOperation.Delete, key.TenantId, key.Key), exception);
                return false;
            }
        }

        var local = _fallback?.Delete(key) ?? false;
        if (!BreakerOpen)
        {
            try
            {
                return _pipeline.Execute(static s => s.Inner.Delete(s.Key), (Inner: _inner, Key: key)) | local;
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

    public long Invalidate(string? tenantId, GlobPattern pattern)
    {
        if (_mode == HealthyMode)
        {
            try
            {
                return _inner.Invalidate(tenantId, pattern);
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
                return _pipeline.Execute(static s => s.Inner.Invalidate(s.TenantId, s.Pattern), (Inner: _inner, TenantId: tenantId, Pattern: pattern));
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

    public long Clear(string? tenantId)
    {
        if (_mode == HealthyMode)
        {
            try
            {
                return _inner.Clear(tenantId);
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
                return _pipeline.Execute(static s => s.Inner.Clear(s.TenantId), (Inner: _inner, TenantId: tenantId));
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

    public long SetMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl)
    {
        if (_mode == HealthyMode)
        {
            try
            {
                return _inner.SetMany(tenantId, entries, ttl);
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
                var stored = _pipeline.Execute(static s => s.Inner.SetMany(s.TenantId, s.Entries, s.Ttl), (Inner: _inner, TenantId: tenantId, Entries: entries, Ttl: ttl));
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

    public StoreUsage GetUsage(string? tenantId)
    {
        if (_mode == HealthyMode)
        {
            try
            {
                return _inner.GetUsage(tenantId);
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
                return _pipeline.Execute(static s => s.Inner.GetUsage(s.TenantId), (Inner: _inner, TenantId: tenantId));
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

    private bool TryGetRecovering<T>(in CacheKey key, [MaybeNullWhen(false)] out T value)
    {
        if (CanReadServer)
        {
            try
            {
                var lookup = _pipeline.Execute(
                    static s => s.Inner.TryGet(s.Key, out T? found) ? new CacheLookup<T>(true, found) : CacheLookup<T>.Miss,
                    (Inner: _inner, Key: key));
                value = lookup.Value!;
                return lookup.Found;
            }
            catch (CacheBackendException exception)
            {
                OnFailure(exception);
            }
            catch (BrokenCircuitException)
            {
            }
        }

        return TryGetFallback(key, out value);
    }

    private bool SetRecovering<T>(in CacheKey key, T value, TimeSpan ttl)
    {
        if (!BreakerOpen)
        {
            try
            {
                var stored = _pipeline.Execute(static s => s.Inner.Set(s.Key, s.Value, s.Ttl), (Inner: _inner, Key: key, Value: value, Ttl: ttl));
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

    private bool TryGetFallback<T>(in CacheKey key, [MaybeNullWhen(false)] out T value)
    {
        if (_fallback is { } fallback)
        {
            return fallback.TryGet(key, out value);
        }

        value = default;
        return false;
    }

    /// <summary>
    /// A write the server did not take (or may take late): journal a delete of its key, so that neither the value it
    /// replaced nor, if it lands late, the value itself outlives the replay; keep it in the fallback tier meanwhile.
    /// </summary>
    private void LoseSet<T>(in CacheKey key, T value, TimeSpan ttl, CacheBackendException? exception)
    {
        Journal(new JournalEntry(JournalOperation.Delete, key.TenantId, key.Key), exception);
        _fallback?.Set(key, value, ttl);
    }

    private void LoseSetMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CacheBackendException? exception)
    {
        JournalDeletes(tenantId, entries, exception);
        _fallback?.SetMany(tenantId, entries, ttl);
    }

    /// <summary>While recovering, this instance's reads may be served by the fallback tier: keep it in step with what the server took.</summary>
    private void KeepInFallback<T>(in CacheKey key, T value, TimeSpan ttl, bool stored)
    {
        if (_fallback is not { } fallback)
        {
            return;
        }

        if (stored)
        {
            fallback.Set(key, value, ttl);
        }
        else
        {
            fallback.Delete(key);
        }
    }

    private void KeepManyInFallback<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, long stored)
    {
        if (_fallback is not { } fallback)
        {
            return;
        }

        if (stored == entries.Count)
        {
            fallback.SetMany(tenantId, entries, ttl);
            return;
        }

        // Which ones the server refused is not known: hold none of them locally rather than one it refused.
        for (var i = 0; i < entries.Count; i++)
        {
            fallback.Delete(new CacheKey(tenantId, entries[i].Key));
        }
    }
}
