namespace Motadata.Cache.Stores;

/// <summary>What every store outcome tells a decorator: whether the backend failed, and why.</summary>
internal interface IStoreOutcome
{
    /// <summary>Why the backend could not do the operation; null when it did.</summary>
    CacheBackendException? Failure { get; }
}
