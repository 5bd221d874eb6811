using Motadata.Cache.Keys;

namespace Motadata.Cache;

public sealed partial class CacheMechanism
{
    /// <summary>
    /// Extends a sliding <see cref="Distributed.MotadataDistributedCache"/> entry just read as
    /// <paramref name="entry"/> (<see cref="Stores.ICacheStore.Extend"/>). On the memory backend only if the key still
    /// holds that very entry, so a Remove or Set that lands between the read and the refresh wins.
    /// </summary>
    /// <remarks>
    /// Dragonfly stores the entry again, so there a Remove or Set landing in that window is still undone: it has no
    /// compare-and-extend yet (it would be a script comparing the bytes before <c>PEXPIRE</c>). Not counted as a set:
    /// the caller stored nothing new.
    /// </remarks>
    internal ValueTask ExtendDistributedEntryAsync(string key, string? tenantId, byte[] entry, TimeSpan ttl, CancellationToken cancellationToken)
    {
        CheckKey(key, tenantId);
        var pending = _store.ExtendAsync(new CacheKey(tenantId, key), entry, ttl, cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            ResultOrThrow(pending.Result);
            return ValueTask.CompletedTask;
        }

        return new ValueTask(ResultOrThrowAsync(pending).AsTask());
    }

    /// <inheritdoc cref="ExtendDistributedEntryAsync"/>
    internal void ExtendDistributedEntry(string key, string? tenantId, byte[] entry, TimeSpan ttl)
    {
        CheckKey(key, tenantId);
        ResultOrThrow(_store.Extend(new CacheKey(tenantId, key), entry, ttl));
    }
}
