namespace Motadata.Cache.Stores;

/// <summary>
/// What a store read found: a hit with its value, a miss, or a failure of the backend (carried as a value, not
/// thrown, so decorators look at it instead of catching). A struct, so a read that completes at once allocates nothing.
/// </summary>
internal readonly struct ReadOutcome<T> : IStoreOutcome
{
    private ReadOutcome(bool found, T? value, CacheBackendException? failure)
    {
        Found = found;
        Value = value;
        Failure = failure;
    }

    public static ReadOutcome<T> Miss => default;

    /// <summary>True on a hit.</summary>
    public bool Found { get; }

    /// <summary>The value on a hit (a cached null is a hit too).</summary>
    public T? Value { get; }

    /// <summary>Why the backend could not answer; null on a hit or a miss.</summary>
    public CacheBackendException? Failure { get; }

    public static ReadOutcome<T> Hit(T? value) => new(true, value, null);

    public static ReadOutcome<T> Failed(CacheBackendException failure) => new(false, default, failure);
}
