namespace Motadata.Cache.Stores;

/// <summary>
/// The result of a store operation other than a single read or write (a delete, an invalidation, a clear, a warm, a
/// usage count), or the backend's failure carried as a value.
/// </summary>
internal readonly struct StoreOutcome<TResult> : IStoreOutcome
{
    private StoreOutcome(TResult result, CacheBackendException? failure)
    {
        Result = result;
        Failure = failure;
    }

    /// <summary>The result; the type's default when <see cref="Failure"/> is set.</summary>
    public TResult Result { get; }

    /// <summary>Why the backend could not do it; null when it did.</summary>
    public CacheBackendException? Failure { get; }

    public static implicit operator StoreOutcome<TResult>(TResult result) => new(result, null);

    public static StoreOutcome<TResult> Failed(CacheBackendException failure) => new(default!, failure);
}
