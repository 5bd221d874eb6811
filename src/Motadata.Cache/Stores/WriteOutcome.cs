namespace Motadata.Cache.Stores;

/// <summary>What a store write did: stored, refused (too large), or not done because the backend failed (with why).</summary>
internal readonly struct WriteOutcome : IStoreOutcome
{
    private WriteOutcome(CacheWriteStatus status, CacheBackendException? failure)
    {
        Status = status;
        Failure = failure;
    }

    public static WriteOutcome Stored => new(CacheWriteStatus.Stored, null);

    public static WriteOutcome TooLarge => new(CacheWriteStatus.TooLarge, null);

    public CacheWriteStatus Status { get; }

    /// <summary>
    /// Why the backend could not take the write, while nothing has handled it yet; null once recovery has (the
    /// status stays <see cref="CacheWriteStatus.Unavailable"/>).
    /// </summary>
    public CacheBackendException? Failure { get; }

    public bool IsStored => Status == CacheWriteStatus.Stored;

    public static WriteOutcome Unavailable(CacheBackendException? failure) => new(CacheWriteStatus.Unavailable, failure);
}
