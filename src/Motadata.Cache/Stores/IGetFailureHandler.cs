using Motadata.Cache.Keys;

namespace Motadata.Cache.Stores;

/// <summary>
/// Takes a remote get's backend failure in place of an exception (the recovery decorator): given to
/// <see cref="ICacheStore.GetAsync"/>, it lets the store's own continuation finish the call, so the decorator needs
/// no async layer of its own on the healthy path.
/// </summary>
internal interface IGetFailureHandler
{
    /// <summary>Records <paramref name="exception"/> and answers the lookup without the server (a miss, or the fallback tier's value).</summary>
    CacheLookup<T> OnGetFailed<T>(CacheKey key, CacheBackendException exception);
}
