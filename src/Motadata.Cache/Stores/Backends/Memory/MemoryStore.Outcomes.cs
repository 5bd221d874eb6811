using Motadata.Cache.Keys;

namespace Motadata.Cache.Stores.Backends.Memory;

// The store interface, over the memory store's own API (which the facade's hit path and the tenant view call
// directly). Nothing here can fail, so every outcome is a result, and every asynchronous one completes at once.
internal sealed partial class MemoryStore
{
    ReadOutcome<T> ICacheStore.Read<T>(in CacheKey key) =>
        TryGet(key, out T? value) ? ReadOutcome<T>.Hit(value) : ReadOutcome<T>.Miss;

    ValueTask<ReadOutcome<T>> ICacheStore.ReadAsync<T>(CacheKey key, CancellationToken cancellationToken) =>
        new(TryGet(key, out T? value) ? ReadOutcome<T>.Hit(value) : ReadOutcome<T>.Miss);

    ValueTask<TResult> ICacheStore.ReadAsync<T, TResult, TProjection>(CacheKey key, TProjection projection, CancellationToken cancellationToken) =>
        new(projection.Project(TryGet(key, out T? value) ? ReadOutcome<T>.Hit(value) : ReadOutcome<T>.Miss));

    // The remaining TTL is not reported (null: the caller keeps no copy on the strength of it); nothing above a memory
    // store keeps copies of its entries.
    ReadOutcome<TimedValue<T>> ICacheStore.ReadWithTtl<T>(in CacheKey key) =>
        TryGet(key, out T? value) ? ReadOutcome<TimedValue<T>>.Hit(new TimedValue<T>(value, null)) : ReadOutcome<TimedValue<T>>.Miss;

    ValueTask<ReadOutcome<TimedValue<T>>> ICacheStore.ReadWithTtlAsync<T>(CacheKey key, CancellationToken cancellationToken) =>
        new(((ICacheStore)this).ReadWithTtl<T>(key));

    ValueTask<StoreOutcome<ReadOutcome<T>[]>> ICacheStore.ReadManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var results = new ReadOutcome<T>[keys.Count];
        for (var i = 0; i < results.Length; i++)
        {
            if (TryGet(new CacheKey(tenantId, keys[i]), out T? value))
            {
                results[i] = ReadOutcome<T>.Hit(value);
            }
        }

        return new(results);
    }

    WriteOutcome ICacheStore.Write<T>(in CacheKey key, T value, TimeSpan ttl) =>
        Set(key, value, ttl) ? WriteOutcome.Stored : WriteOutcome.TooLarge;

    ValueTask<WriteOutcome> ICacheStore.WriteAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken) =>
        new(Set(key, value, ttl) ? WriteOutcome.Stored : WriteOutcome.TooLarge);

    StoreOutcome<bool> ICacheStore.Extend(in CacheKey key, byte[] expected, TimeSpan ttl) => TryExtend(key, expected, ttl);

    ValueTask<StoreOutcome<bool>> ICacheStore.ExtendAsync(CacheKey key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken) =>
        new(TryExtend(key, expected, ttl));

    StoreOutcome<bool> ICacheStore.Delete(in CacheKey key) => Delete(key);

    ValueTask<StoreOutcome<bool>> ICacheStore.DeleteAsync(CacheKey key, CancellationToken cancellationToken) => new(Delete(key));

    StoreOutcome<long> ICacheStore.Invalidate(string? tenantId, GlobPattern pattern) => Invalidate(tenantId, pattern);

    ValueTask<StoreOutcome<long>> ICacheStore.InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken) =>
        new(Invalidate(tenantId, pattern));

    StoreOutcome<long> ICacheStore.Clear(string? tenantId) => Clear(tenantId);

    ValueTask<StoreOutcome<long>> ICacheStore.ClearAsync(string? tenantId, CancellationToken cancellationToken) => new(Clear(tenantId));

    StoreOutcome<long> ICacheStore.WriteMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl) =>
        SetMany(tenantId, entries, ttl);

    ValueTask<StoreOutcome<long>> ICacheStore.WriteManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken) =>
        new(SetMany(tenantId, entries, ttl));

    StoreOutcome<StoreUsage> ICacheStore.GetUsage(string? tenantId) => GetUsage(tenantId);

    ValueTask<StoreOutcome<StoreUsage>> ICacheStore.GetUsageAsync(string? tenantId, CancellationToken cancellationToken) => new(GetUsage(tenantId));
}
