using Motadata.Cache.Keys;

namespace Motadata.Cache;

public sealed partial class CacheMechanism
{
    /// <summary>
    /// Extends a sliding <see cref="Distributed.MotadataDistributedCache"/> entry just read as
    /// <paramref name="entry"/>. On the memory backend only if the key still holds that very entry, so a Remove or
    /// Set that lands between the read and the refresh wins.
    /// </summary>
    /// <remarks>
    /// Other backends store the entry again, so there a Remove or Set landing in that window is still undone: the
    /// store interface has no compare-and-extend yet (on Dragonfly it would be a script comparing the bytes before
    /// <c>PEXPIRE</c>). Not counted as a set: the caller stored nothing new.
    /// </remarks>
    internal ValueTask ExtendDistributedEntryAsync(string key, string? tenantId, byte[] entry, TimeSpan ttl, CancellationToken cancellationToken)
    {
        CheckKey(key, tenantId);
        if (_memoryStore is { } memory)
        {
            memory.TryExtend(new CacheKey(tenantId, key), entry, ttl);
            return ValueTask.CompletedTask;
        }

        var pending = _store.SetAsync(new CacheKey(tenantId, key), entry, ttl, cancellationToken);
        return pending.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(pending.AsTask());
    }

    /// <inheritdoc cref="ExtendDistributedEntryAsync"/>
    internal void ExtendDistributedEntry(string key, string? tenantId, byte[] entry, TimeSpan ttl)
    {
        CheckKey(key, tenantId);
        if (_memoryStore is { } memory)
        {
            memory.TryExtend(new CacheKey(tenantId, key), entry, ttl);
            return;
        }

        _store.Set(new CacheKey(tenantId, key), entry, ttl);
    }
}
