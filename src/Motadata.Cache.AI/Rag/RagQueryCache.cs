namespace Motadata.Cache.AI;

/// <summary>
/// Caches the results of one retrieval index, per tenant: <see cref="GetOrSearchAsync{TResult}"/> runs the search
/// once for concurrent identical queries and serves the stored result until the index changes. When it does, call
/// <see cref="ChangeIndexVersionAsync"/> (new keys; the old version's entries are removed) or
/// <see cref="InvalidateAsync"/> (everything cached for the index).
/// </summary>
public sealed class RagQueryCache
{
    private readonly CacheMechanism _cache;
    private string _indexVersion;

    /// <summary>A cache of <paramref name="indexName"/>'s results at <paramref name="indexVersion"/>.</summary>
    /// <param name="cache">Where results are kept; owned by the caller.</param>
    /// <param name="indexName">The index; must not contain <c>:</c>.</param>
    /// <param name="indexVersion">The index's current version; must not contain <c>:</c>.</param>
    /// <param name="tenantId">The tenant whose namespace holds the results; null for the global namespace.</param>
    /// <param name="ttl">How long a result is kept; null for the cache's <see cref="CacheConfig.Ttl"/>.</param>
    public RagQueryCache(CacheMechanism cache, string indexName, string indexVersion, string? tenantId = null, TimeSpan? ttl = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _ = RagCacheKeys.VersionPattern(indexName, indexVersion); // checks both
        _cache = cache;
        IndexName = indexName;
        _indexVersion = indexVersion;
        TenantId = tenantId;
        Ttl = ttl;
    }

    /// <summary>The index whose results are cached.</summary>
    public string IndexName { get; }

    /// <summary>The index version keys are made for now.</summary>
    public string IndexVersion => Volatile.Read(ref _indexVersion);

    /// <summary>The tenant whose namespace holds the results.</summary>
    public string? TenantId { get; }

    /// <summary>How long a result is kept; null for the cache's default.</summary>
    public TimeSpan? Ttl { get; }

    /// <summary>The key of <paramref name="query"/> at the current index version.</summary>
    /// <param name="query">The query.</param>
    /// <param name="retrievalParameters">What else changes the result (see <see cref="RagCacheKeys.QueryKey"/>).</param>
    /// <returns>The key.</returns>
    public string KeyFor(string query, object? retrievalParameters = null) =>
        RagCacheKeys.QueryKey(IndexName, IndexVersion, query, retrievalParameters);

    /// <summary>The cached result of <paramref name="query"/>, or on a miss the result of <paramref name="search"/>, stored for next time.</summary>
    /// <typeparam name="TResult">The result's type (on a remote backend it must round-trip through the cache's serializer).</typeparam>
    /// <param name="query">The query.</param>
    /// <param name="retrievalParameters">What else changes the result.</param>
    /// <param name="search">Runs the retrieval on a miss; concurrent identical queries share one run.</param>
    /// <param name="cancellationToken">Ends this caller's wait.</param>
    /// <returns>The result.</returns>
    public ValueTask<TResult> GetOrSearchAsync<TResult>(string query, object? retrievalParameters, Func<CancellationToken, ValueTask<TResult>> search, CancellationToken cancellationToken = default) =>
        _cache.GetOrSetAsync(KeyFor(query, retrievalParameters), search, Ttl, TenantId, cancellationToken);

    /// <summary>Moves to a new index version: later lookups use new keys, and the old version's entries are removed.</summary>
    /// <param name="newIndexVersion">The new version; must not contain <c>:</c>.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>How many entries of the old version were removed.</returns>
    public async ValueTask<long> ChangeIndexVersionAsync(string newIndexVersion, CancellationToken cancellationToken = default)
    {
        _ = RagCacheKeys.VersionPattern(IndexName, newIndexVersion);
        var old = Interlocked.Exchange(ref _indexVersion, newIndexVersion);
        return old == newIndexVersion
            ? 0
            : await _cache.InvalidateAsync(RagCacheKeys.VersionPattern(IndexName, old), TenantId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes every result cached for this index and tenant, whatever the version.</summary>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>How many entries were removed.</returns>
    public ValueTask<long> InvalidateAsync(CancellationToken cancellationToken = default) =>
        _cache.InvalidateAsync(RagCacheKeys.IndexPattern(IndexName), TenantId, cancellationToken);
}
