using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.AI;

namespace Motadata.Cache.AI.Internal;

/// <summary>
/// The semantic layer of the chat cache: embeds prompts, keeps each tenant's entries in the cache and in a
/// per-tenant <see cref="SemanticIndex"/> in this process, refreshed from the cache at most every
/// <see cref="SemanticCacheOptions.RefreshInterval"/>.
/// </summary>
/// <remarks>
/// In the cache, inside the tenant's namespace (prefix <c>sem:</c> by default): one entry per prompt
/// (<c>e:{id}</c>); per instance that wrote to the tenant, an append-only log of entry ids in segments of 64
/// (<c>l:{writer}:{n}</c>) and its last segment's number (<c>h:{writer}</c>); and a registry (<c>w</c>) listing the
/// writers under an epoch drawn when it was created. A new prompt writes its entry, rewrites one segment and the head
/// (a constant cost, whatever the tenant's size: no list of all prompts is read or rewritten) and reads the registry
/// to check this instance is listed. Only the instance that owns a log writes it, so concurrent writers never lose each
/// other's prompts; the registry is the one key several instances write, only when one joins, and each instance checks
/// at every write and refresh that it is still listed (a concurrent join can drop it) and adds itself back. A refresh
/// reads the registry, every writer's head, the segments past what was read, and the new entries: four round trips.
/// A registry with another epoch, or none, means the tenant was cleared: the index starts over.
/// Idle tenants' state leaves the process past <see cref="SemanticCacheOptions.MaxTenants"/> (least recently used
/// first) and is read again from the cache when the tenant comes back.
/// </remarks>
internal sealed class SemanticLayer
{
    private const string GlobalTenant = "\0global";

    private readonly CacheMechanism _cache;
    private readonly SemanticCacheOptions _options;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
    private readonly ConcurrentDictionary<string, SemanticTenant> _tenants = new(StringComparer.Ordinal);
    private readonly Lock _evictionLock = new();
    private readonly string _entryPrefix;
    private readonly string _registryKey;
    private readonly string _writerId;
    private readonly string _headKey;
    private readonly string _segmentPrefix;
    private readonly int _segmentsForBound;
    private long _uses;

    public SemanticLayer(CacheMechanism cache, SemanticCacheOptions options)
    {
        options.Validate();
        _cache = cache;
        _options = options;
        _generator = options.EmbeddingGenerator!;
        _entryPrefix = options.KeyPrefix + "e:";
        _registryKey = options.KeyPrefix + "w";
        _writerId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 8));
        _headKey = options.KeyPrefix + "h:";
        _segmentPrefix = options.KeyPrefix + "l:";
        _segmentsForBound = (options.MaxEntriesPerTenant / SemanticLog.SegmentSize) + 2;
    }

    public float Threshold => _options.Threshold;

    /// <summary>How many tenants' indexes this process holds now (at most <see cref="SemanticCacheOptions.MaxTenants"/>, for tests).</summary>
    public int TenantCount => _tenants.Count;

    /// <summary>The index of <paramref name="tenantId"/> as it is now, without a refresh (for tests and benchmarks).</summary>
    public SemanticIndex IndexOf(string? tenantId) => TenantOf(tenantId).Index;

    /// <summary>The prompt's embedding, normalised to length 1; null when the generator gave nothing usable.</summary>
    public async ValueTask<float[]?> EmbedAsync(string prompt, CancellationToken cancellationToken)
    {
        var generated = await _generator.GenerateAsync([prompt], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (generated.Count != 1)
        {
            return null;
        }

        var vector = generated[0].Vector.ToArray();
        var norm = TensorPrimitives.Norm(vector);
        if (!(norm > 0f) || !float.IsFinite(norm))
        {
            return null;
        }

        TensorPrimitives.Divide(vector, norm, vector);
        return vector;
    }

    /// <summary>The cached entries that may answer <paramref name="prompt"/>, best first: similar enough and passing the prompt guard.</summary>
    public async ValueTask<List<SemanticEntry>?> FindAsync(string? tenantId, string scope, string prompt, float[] vector, TimeSpan? maxAge, CancellationToken cancellationToken)
    {
        var index = (await FreshTenantAsync(tenantId, cancellationToken).ConfigureAwait(false)).Index;
        var now = _cache.TimeProvider.GetUtcNow().UtcTicks;
        var minCachedAt = maxAge is { } age ? now - age.Ticks : long.MinValue;
        var candidates = index.Search(scope, vector, _options.Threshold, now, minCachedAt);
        if (candidates is null)
        {
            return null;
        }

        List<SemanticEntry>? matches = null;
        var guard = _options.PromptGuard;
        var verifier = _options.Verifier;
        foreach (var (entry, score) in candidates)
        {
            if ((guard is null || guard(entry.Prompt, prompt))
                && (verifier is null || await verifier.VerifyAsync(entry.Prompt, prompt, score, cancellationToken).ConfigureAwait(false)))
            {
                (matches ??= []).Add(entry);
            }
        }

        return matches;
    }

    /// <summary>Drops an entry whose answer is gone from the cache (invalidated, cleared or expired on the server).</summary>
    public void Forget(string? tenantId, SemanticEntry entry) => IndexOf(tenantId).Remove(entry.Id);

    /// <summary>Keeps <paramref name="prompt"/> as a way to the answer under <paramref name="answerKey"/>: in the cache, this process's log for the tenant, and its index.</summary>
    public async ValueTask AddAsync(string? tenantId, string scope, string prompt, float[] vector, string answerKey, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        var now = _cache.TimeProvider.GetUtcNow().UtcTicks;
        var life = ttl ?? _cache.Config.Ttl;
        var expiresAt = life <= TimeSpan.Zero || life == Timeout.InfiniteTimeSpan || life.Ticks > long.MaxValue - now ? long.MaxValue : now + life.Ticks;
        var id = RequestHasher.HashToHex(Encoding.UTF8.GetBytes(answerKey))[..32];
        var entry = new SemanticEntry(id, scope, prompt, answerKey, now, expiresAt, vector);
        var bytes = SemanticEntryCodec.Encode(entry);
        var tenant = TenantOf(tenantId);
        tenant.Index.Add(entry);
        try
        {
            // The registry is read while the entry and then its id in the log are written (the entry first: a reader
            // that finds the id finds the entry, or it expired). WhenAll observes both, whichever fails.
            var registry = ReadRegistryAsync(tenantId, cancellationToken).AsTask();
            await Task.WhenAll(WriteAsync(), registry).ConfigureAwait(false);
            await EnsureListedAsync(tenantId, tenant, await registry.ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (CacheBackendException)
        {
            // Kept in this process; the segment is written again with the next prompt, and the registry checked.
        }

        async Task WriteAsync()
        {
            await _cache.SetAsync(_entryPrefix + id, bytes, ttl, tenantId, cancellationToken).ConfigureAwait(false);
            await AppendAsync(tenantId, tenant, id, expiresAt, cancellationToken).ConfigureAwait(false);
        }
    }

    private SemanticTenant TenantOf(string? tenantId)
    {
        var key = tenantId ?? GlobalTenant;
        if (!_tenants.TryGetValue(key, out var tenant))
        {
            tenant = _tenants.GetOrAdd(key, static (_, max) => new SemanticTenant(max), _options.MaxEntriesPerTenant);
            if (_tenants.Count > _options.MaxTenants)
            {
                EvictIdle(tenant);
            }
        }

        tenant.LastUsed = Interlocked.Increment(ref _uses);
        return tenant;
    }

    /// <summary>Lets the least recently used tenants go until the bound holds; their state is in the cache, read again when they come back.</summary>
    private void EvictIdle(SemanticTenant keep)
    {
        lock (_evictionLock)
        {
            while (_tenants.Count > _options.MaxTenants)
            {
                string? oldest = null;
                var oldestUse = long.MaxValue;
                foreach (var (key, tenant) in _tenants)
                {
                    if (tenant != keep && tenant.LastUsed < oldestUse)
                    {
                        (oldest, oldestUse) = (key, tenant.LastUsed);
                    }
                }

                if (oldest is null || !_tenants.TryRemove(oldest, out _))
                {
                    return;
                }
            }
        }
    }

    /// <summary>Appends the id to this process's log and writes the segments not yet written, with the head.</summary>
    private async ValueTask AppendAsync(string? tenantId, SemanticTenant tenant, string id, long expiresAt, CancellationToken cancellationToken)
    {
        var log = tenant.Log;
        if (!log.Started)
        {
            // After an eviction this process may have a log for the tenant already: continue after its last segment.
            var head = await _cache.GetAsync<byte[]>(_headKey + _writerId, tenantId, cancellationToken: cancellationToken).ConfigureAwait(false);
            log.Start(ParseHead(head) ?? -1);
        }

        var (segment, position) = log.Append(id, expiresAt);
        await log.WriteGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (segment.Written >= position)
            {
                return; // a concurrent append wrote this id with its own
            }

            var pending = log.Pending();
            if (pending.Count == 0)
            {
                return; // the tenant was cleared since: the log started over
            }

            var last = pending[^1].Segment.Number;
            var now = _cache.TimeProvider.GetUtcNow().UtcTicks;
            var writes = new Task<bool>[pending.Count + 1];
            for (var i = 0; i < pending.Count; i++)
            {
                var (part, ids, partExpiresAt) = pending[i];
                writes[i] = _cache.SetAsync(SegmentKey(_writerId, part.Number), Encoding.ASCII.GetBytes(string.Join('\n', ids)), LifeOf(partExpiresAt, now), tenantId, cancellationToken).AsTask();
            }

            writes[^1] = _cache.SetAsync(_headKey + _writerId, Encoding.ASCII.GetBytes(last.ToString(CultureInfo.InvariantCulture)), LifeOf(log.MaxExpiresAtUtcTicks, now), tenantId, cancellationToken).AsTask();
            await Task.WhenAll(writes).ConfigureAwait(false);

            foreach (var (part, ids, _) in pending)
            {
                log.Written(part, ids.Length);
            }
        }
        finally
        {
            log.WriteGate.Release();
        }
    }

    private static TimeSpan LifeOf(long expiresAtUtcTicks, long nowUtcTicks) =>
        expiresAtUtcTicks == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, expiresAtUtcTicks - nowUtcTicks));

    private string SegmentKey(string writer, long number) => string.Create(CultureInfo.InvariantCulture, $"{_segmentPrefix}{writer}:{number}");

    private static long? ParseHead(byte[]? bytes) =>
        bytes is { Length: > 0 } && long.TryParse(bytes, NumberStyles.None, CultureInfo.InvariantCulture, out var head) ? head : null;

    /// <summary>Makes sure this process is listed in the tenant's registry (creating it, with a new epoch, when there is none); re-reads after writing, as another instance may have written at the same moment.</summary>
    private async ValueTask EnsureListedAsync(string? tenantId, SemanticTenant tenant, Registry? registry, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (registry is not null && registry.Writers.Contains(_writerId))
            {
                if (tenant.Epoch is null)
                {
                    tenant.Epoch = registry.Epoch;
                }

                return;
            }

            var next = registry is null ? new Registry(Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 8)), [_writerId]) : registry.With(_writerId);
            await _cache.SetAsync(_registryKey, next.Encode(), Timeout.InfiniteTimeSpan, tenantId, cancellationToken).ConfigureAwait(false);
            registry = await ReadRegistryAsync(tenantId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<Registry?> ReadRegistryAsync(string? tenantId, CancellationToken cancellationToken) =>
        Registry.Decode(await _cache.GetAsync<byte[]>(_registryKey, tenantId, cancellationToken: cancellationToken).ConfigureAwait(false));

    private async ValueTask<SemanticTenant> FreshTenantAsync(string? tenantId, CancellationToken cancellationToken)
    {
        var tenant = TenantOf(tenantId);
        var now = _cache.TimeProvider.GetUtcNow().UtcTicks;
        if (tenant.LastRefreshUtcTicks != long.MinValue && now - tenant.LastRefreshUtcTicks < _options.RefreshInterval.Ticks)
        {
            return tenant;
        }

        // One lookup refreshes; the others use the index as it is, except before the first load.
        var first = tenant.LastRefreshUtcTicks == long.MinValue;
        if (!await tenant.RefreshGate.WaitAsync(first ? Timeout.Infinite : 0, cancellationToken).ConfigureAwait(false))
        {
            return tenant;
        }

        try
        {
            if (tenant.LastRefreshUtcTicks == long.MinValue || now - tenant.LastRefreshUtcTicks >= _options.RefreshInterval.Ticks)
            {
                await RefreshAsync(tenantId, tenant, cancellationToken).ConfigureAwait(false);
                tenant.LastRefreshUtcTicks = now;
            }
        }
        catch (CacheBackendException)
        {
            // The server is away: search what this process has, and try again after the interval.
            tenant.LastRefreshUtcTicks = now;
        }
        finally
        {
            tenant.RefreshGate.Release();
        }

        return tenant;
    }

    private async ValueTask RefreshAsync(string? tenantId, SemanticTenant tenant, CancellationToken cancellationToken)
    {
        var now = _cache.TimeProvider.GetUtcNow().UtcTicks;
        tenant.Index.RemoveExpired(now);
        var registry = await ReadRegistryAsync(tenantId, cancellationToken).ConfigureAwait(false);
        if (tenant.Epoch is not null && tenant.Epoch != registry?.Epoch)
        {
            // Cleared (or the registry was removed): what this process holds may be gone from the server.
            tenant.Index.Clear();
            tenant.Positions.Clear();
            tenant.Log.Restart();
            tenant.Epoch = null;
        }

        if (registry is null)
        {
            return;
        }

        tenant.Epoch ??= registry.Epoch;
        if (tenant.Log.HasAppended && !registry.Writers.Contains(_writerId))
        {
            await EnsureListedAsync(tenantId, tenant, registry, cancellationToken).ConfigureAwait(false);
        }

        // Every writer's head, then the segments past what was read, then the entries not held yet.
        var writers = registry.Writers;
        var headKeys = new string[writers.Count];
        for (var i = 0; i < headKeys.Length; i++)
        {
            headKeys[i] = _headKey + writers[i];
        }

        var heads = await _cache.GetManyAsync<byte[]>(headKeys, tenantId, cancellationToken).ConfigureAwait(false);
        var segmentKeys = new List<string>();
        var plan = new List<(string Writer, long Segment, int Skip)>();
        List<string>? gone = null;
        for (var i = 0; i < writers.Count; i++)
        {
            if (!heads.TryGetValue(headKeys[i], out var headBytes) || ParseHead(headBytes) is not { } head)
            {
                // A writer writes its head before it lists itself, so a listed writer without one has expired (or
                // was cleared and has not written since): it leaves the registry.
                if (writers[i] != _writerId)
                {
                    (gone ??= []).Add(writers[i]);
                }

                continue;
            }

            long from;
            var skip = 0;
            if (tenant.Positions.TryGetValue(writers[i], out var read) && read.Segment <= head)
            {
                (from, skip) = read;
            }
            else
            {
                // A writer not read yet, or one that started over: its newest segments, enough to fill the bound.
                from = Math.Max(0, head - _segmentsForBound + 1);
            }

            for (var segment = from; segment <= head; segment++)
            {
                segmentKeys.Add(SegmentKey(writers[i], segment));
                plan.Add((writers[i], segment, segment == from ? skip : 0));
            }
        }

        if (gone is not null)
        {
            // A writer that joins at this moment may be dropped with them: it adds itself back at its next write or refresh.
            await _cache.SetAsync(_registryKey, registry.Without(gone).Encode(), Timeout.InfiniteTimeSpan, tenantId, cancellationToken).ConfigureAwait(false);
        }

        var segments = await GetInChunksAsync(segmentKeys, tenantId, cancellationToken).ConfigureAwait(false);
        var positions = new Dictionary<string, (long Segment, int Count)>(StringComparer.Ordinal);
        var toLoad = new List<string>();
        for (var i = 0; i < plan.Count; i++)
        {
            var (writer, segment, skip) = plan[i];
            var count = 0;
            if (segments.TryGetValue(segmentKeys[i], out var bytes) && bytes.Length > 0)
            {
                foreach (var range in bytes.AsSpan().Split((byte)'\n'))
                {
                    if (count++ >= skip && range.End.Value - range.Start.Value == 32)
                    {
                        var id = Encoding.ASCII.GetString(bytes, range.Start.Value, 32);
                        if (!tenant.Index.Contains(id))
                        {
                            toLoad.Add(id);
                        }
                    }
                }
            }

            // The plan goes up each writer's segments in order: the last one read, the head, is where the next refresh starts.
            positions[writer] = (segment, count);
        }

        var entryKeys = new List<string>(toLoad.Count);
        foreach (var id in toLoad)
        {
            entryKeys.Add(_entryPrefix + id);
        }

        var found = await GetInChunksAsync(entryKeys, tenantId, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < entryKeys.Count; i++)
        {
            // A missing entry expired or was removed on the server; its id is skipped for good.
            if (found.TryGetValue(entryKeys[i], out var bytes) && SemanticEntryCodec.Decode(toLoad[i], bytes) is { } entry && entry.ExpiresAtUtcTicks > now)
            {
                tenant.Index.Add(entry);
            }
        }

        // Only now: a refresh that failed half-way reads the same segments again next time.
        foreach (var (writer, position) in positions)
        {
            tenant.Positions[writer] = position;
        }
    }

    /// <summary>Reads many keys a thousand at a time: a cold load of 100,000 prompts is 160 MB, too much for one reply.</summary>
    private async ValueTask<Dictionary<string, byte[]>> GetInChunksAsync(List<string> keys, string? tenantId, CancellationToken cancellationToken)
    {
        const int chunk = 1_000;
        var found = new Dictionary<string, byte[]>(keys.Count, StringComparer.Ordinal);
        for (var start = 0; start < keys.Count; start += chunk)
        {
            var part = await _cache.GetManyAsync<byte[]>(keys.GetRange(start, Math.Min(chunk, keys.Count - start)), tenantId, cancellationToken).ConfigureAwait(false);
            foreach (var (key, value) in part)
            {
                found[key] = value;
            }
        }

        return found;
    }

    /// <summary>The tenant's registry: an epoch (drawn when it was created; a new one means it was cleared) and the writers' ids, a line each.</summary>
    private sealed class Registry(string epoch, List<string> writers)
    {
        public string Epoch { get; } = epoch;

        public List<string> Writers { get; } = writers;

        public static Registry? Decode(byte[]? bytes)
        {
            if (bytes is null || bytes.Length == 0)
            {
                return null;
            }

            var lines = Encoding.ASCII.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return lines.Length == 0 ? null : new Registry(lines[0], [.. lines.Skip(1)]);
        }

        public Registry With(string writer) => new(Epoch, [.. Writers, writer]);

        public Registry Without(List<string> gone) => new(Epoch, Writers.FindAll(writer => !gone.Contains(writer)));

        public byte[] Encode() => Encoding.ASCII.GetBytes(Epoch + "\n" + string.Join('\n', Writers));
    }
}
