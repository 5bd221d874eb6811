using Motadata.Cache.Keys;

namespace Motadata.Cache.Stores;

/// <summary>
/// A store made of parts that each hold some of the keys (a cluster's primaries, independent shards): a single-key
/// call goes to the part that holds the key, a batch is split by part and sent to all at once (answers back in the
/// order asked), and usage is added up over every part. What differs is how a key finds its part, and how removals
/// reach every part (<see cref="FanOut"/> holds the arithmetic).
/// </summary>
/// <typeparam name="TPart">What names a part.</typeparam>
internal abstract class KeyRoutedStore<TPart> : ICacheStore
    where TPart : notnull
{
    public abstract string Name { get; }

    public ReadOutcome<T> Read<T>(in CacheKey key) => For(key).Read<T>(key);

    public ValueTask<ReadOutcome<T>> ReadAsync<T>(CacheKey key, CancellationToken cancellationToken) => For(key).ReadAsync<T>(key, cancellationToken);

    public ValueTask<TResult> ReadAsync<T, TResult, TProjection>(CacheKey key, TProjection projection, CancellationToken cancellationToken)
        where TProjection : struct, IReadProjection<T, TResult> =>
        For(key).ReadAsync<T, TResult, TProjection>(key, projection, cancellationToken);

    public ReadOutcome<TimedValue<T>> ReadWithTtl<T>(in CacheKey key) => For(key).ReadWithTtl<T>(key);

    public ValueTask<ReadOutcome<TimedValue<T>>> ReadWithTtlAsync<T>(CacheKey key, CancellationToken cancellationToken) =>
        For(key).ReadWithTtlAsync<T>(key, cancellationToken);

    public ValueTask<StoreOutcome<ReadOutcome<T>[]>> ReadManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var reads = new List<(List<int> Positions, Task<StoreOutcome<ReadOutcome<T>[]>> Pending)>();
        foreach (var (part, positions) in Split(tenantId, keys.Count, i => keys[i]))
        {
            reads.Add((positions, StoreOf(part).ReadManyAsync<T>(tenantId, FanOut.Pick(keys, positions), cancellationToken).AsTask()));
        }

        return FanOut.GatherAsync(keys.Count, reads);
    }

    public WriteOutcome Write<T>(in CacheKey key, T value, TimeSpan ttl) => For(key).Write(key, value, ttl);

    public ValueTask<WriteOutcome> WriteAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken) =>
        For(key).WriteAsync(key, value, ttl, cancellationToken);

    public StoreOutcome<bool> Extend(in CacheKey key, byte[] expected, TimeSpan ttl) => For(key).Extend(key, expected, ttl);

    public ValueTask<StoreOutcome<bool>> ExtendAsync(CacheKey key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken) =>
        For(key).ExtendAsync(key, expected, ttl, cancellationToken);

    public StoreOutcome<bool> Delete(in CacheKey key) => For(key).Delete(key);

    public ValueTask<StoreOutcome<bool>> DeleteAsync(CacheKey key, CancellationToken cancellationToken) => For(key).DeleteAsync(key, cancellationToken);

    public abstract StoreOutcome<long> Invalidate(string? tenantId, GlobPattern pattern);

    public abstract ValueTask<StoreOutcome<long>> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken);

    public abstract StoreOutcome<long> Clear(string? tenantId);

    public abstract ValueTask<StoreOutcome<long>> ClearAsync(string? tenantId, CancellationToken cancellationToken);

    /// <summary>Writes each part's share; every part is written even when one fails, and the first failure is returned.</summary>
    public StoreOutcome<long> WriteMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl)
    {
        var outcomes = new List<StoreOutcome<long>>();
        foreach (var (part, positions) in Split(tenantId, entries.Count, i => entries[i].Key))
        {
            outcomes.Add(StoreOf(part).WriteMany(tenantId, FanOut.Pick(entries, positions), ttl));
        }

        return FanOut.Sum(outcomes);
    }

    public async ValueTask<StoreOutcome<long>> WriteManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var writes = new List<Task<StoreOutcome<long>>>();
        foreach (var (part, positions) in Split(tenantId, entries.Count, i => entries[i].Key))
        {
            writes.Add(StoreOf(part).WriteManyAsync(tenantId, FanOut.Pick(entries, positions), ttl, cancellationToken).AsTask());
        }

        return FanOut.Sum(await Task.WhenAll(writes).ConfigureAwait(false));
    }

    public virtual StoreOutcome<StoreUsage> GetUsage(string? tenantId) =>
        FanOut.SumUsage([.. Parts().Select(store => store.GetUsage(tenantId))]);

    public virtual async ValueTask<StoreOutcome<StoreUsage>> GetUsageAsync(string? tenantId, CancellationToken cancellationToken) =>
        FanOut.SumUsage(await Task.WhenAll(Parts().Select(store => store.GetUsageAsync(tenantId, cancellationToken).AsTask())).ConfigureAwait(false));

    public abstract void Dispose();

    public abstract ValueTask DisposeAsync();

    /// <summary>The part that holds (<paramref name="tenantId"/>, <paramref name="key"/>).</summary>
    protected abstract TPart PartOf(string? tenantId, string key);

    /// <summary>The store of a part.</summary>
    protected abstract ICacheStore StoreOf(TPart part);

    /// <summary>The store of every part there is now.</summary>
    protected abstract IEnumerable<ICacheStore> Parts();

    private ICacheStore For(in CacheKey key) => StoreOf(PartOf(key.TenantId, key.Key));

    private Dictionary<TPart, List<int>> Split(string? tenantId, int count, Func<int, string> keyAt) =>
        FanOut.Split(count, i => PartOf(tenantId, keyAt(i)));
}
