using System.Buffers;
using Microsoft.Extensions.Caching.Distributed;
using Motadata.Cache.Internal;

namespace Motadata.Cache.Distributed;

/// <summary>
/// A <see cref="CacheMechanism"/> seen as an <see cref="IDistributedCache"/> bound to one tenant, with the
/// zero-copy <see cref="IBufferDistributedCache"/> path HybridCache uses. Entries carry their expiration (see
/// <see cref="DistributedEntry"/>), so absolute and sliding expiration behave as ASP.NET Core defines them on every
/// backend: a sliding entry's life is extended by each successful read (and <see cref="Refresh"/>), never past its
/// absolute expiration.
/// </summary>
internal sealed class MotadataDistributedCache : IBufferDistributedCache
{
    private readonly CacheMechanism _cache;
    private readonly string? _tenantId;

    public MotadataDistributedCache(CacheMechanism cache, string? tenantId)
    {
        _cache = cache;
        _tenantId = tenantId;
    }

    public byte[]? Get(string key)
    {
        var entry = Read(key);
        return entry is null ? null : DistributedEntry.Payload(entry).ToArray();
    }

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        var entry = await ReadAsync(key, token).ConfigureAwait(false);
        return entry is null ? null : DistributedEntry.Payload(entry).ToArray();
    }

    public bool TryGet(string key, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var entry = Read(key);
        if (entry is null)
        {
            return false;
        }

        destination.Write(DistributedEntry.Payload(entry));
        return true;
    }

    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var entry = await ReadAsync(key, token).ConfigureAwait(false);
        if (entry is null)
        {
            return false;
        }

        destination.Write(DistributedEntry.Payload(entry));
        return true;
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(value);
        Set(key, new ReadOnlySequence<byte>(value), options);
    }

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return SetAsync(key, new ReadOnlySequence<byte>(value), options, token).AsTask();
    }

    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options)
    {
        var (entry, ttl) = Build(value, options);
        _cache.Set(key, entry, ttl, _tenantId);
    }

    public async ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        var (entry, ttl) = Build(value, options);
        await _cache.SetAsync(key, entry, ttl, _tenantId, token).ConfigureAwait(false);
    }

    public void Refresh(string key) => Read(key);

    public async Task RefreshAsync(string key, CancellationToken token = default) =>
        await ReadAsync(key, token).ConfigureAwait(false);

    public void Remove(string key) => _cache.Delete(key, _tenantId);

    public async Task RemoveAsync(string key, CancellationToken token = default) =>
        await _cache.DeleteAsync(key, _tenantId, token).ConfigureAwait(false);

    public override string ToString() => $"MotadataDistributedCache(tenant: {_tenantId ?? "(global)"}, {_cache.Backend})";

    /// <summary>The live entry under <paramref name="key"/>, its sliding life extended; null on a miss or an expired entry.</summary>
    private byte[]? Read(string key)
    {
        if (!_cache.TryGet<byte[]>(key, out var entry, _tenantId) || entry is null)
        {
            return null;
        }

        if (!DistributedEntry.TryRead(entry, _cache.TimeProvider.GetUtcNow(), out var refreshTtl))
        {
            // Past its absolute expiration by this cache's clock, or not an entry this adapter wrote.
            _cache.Delete(key, _tenantId);
            return null;
        }

        if (refreshTtl is { } ttl)
        {
            // Not a plain Set: a Remove or Set that landed since the read must not be undone.
            _cache.ExtendDistributedEntry(key, _tenantId, entry, ttl);
        }

        return entry;
    }

    private async ValueTask<byte[]?> ReadAsync(string key, CancellationToken token)
    {
        var entry = await _cache.GetAsync<byte[]>(key, _tenantId, cancellationToken: token).ConfigureAwait(false);
        if (entry is null)
        {
            return null;
        }

        if (!DistributedEntry.TryRead(entry, _cache.TimeProvider.GetUtcNow(), out var refreshTtl))
        {
            await _cache.DeleteAsync(key, _tenantId, token).ConfigureAwait(false);
            return null;
        }

        if (refreshTtl is { } ttl)
        {
            await _cache.ExtendDistributedEntryAsync(key, _tenantId, entry, ttl, token).ConfigureAwait(false);
        }

        return entry;
    }

    private (byte[] Entry, TimeSpan? Ttl) Build(ReadOnlySequence<byte> value, DistributedCacheEntryOptions options)
    {
        if (options is null)
        {
            Throw.ArgumentNull(nameof(options));
        }

        var (absolute, sliding, ttl) = DistributedEntry.Plan(options, _cache.TimeProvider.GetUtcNow());
        byte[] entry;
        if (value.IsSingleSegment)
        {
            entry = DistributedEntry.Create(value.FirstSpan, absolute, sliding);
        }
        else
        {
            var payload = value.ToArray();
            entry = DistributedEntry.Create(payload, absolute, sliding);
        }

        return (entry, ttl);
    }
}
