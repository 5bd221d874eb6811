using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.AI;

namespace Motadata.Cache.AI.Internal;

/// <summary>
/// The semantic layer of the chat cache: embeds prompts, keeps each tenant's entries in the cache (an entry per prompt
/// and a manifest listing them) and in a per-tenant <see cref="SemanticIndex"/> in this process, refreshed from the
/// manifest at most every <see cref="SemanticCacheOptions.RefreshInterval"/>.
/// </summary>
internal sealed class SemanticLayer
{
    private const string GlobalTenant = "\0global";

    private readonly CacheMechanism _cache;
    private readonly SemanticCacheOptions _options;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
    private readonly ConcurrentDictionary<string, SemanticIndex> _indexes = new(StringComparer.Ordinal);
    private readonly string _manifestKey;
    private readonly string _entryPrefix;

    public SemanticLayer(CacheMechanism cache, SemanticCacheOptions options)
    {
        options.Validate();
        _cache = cache;
        _options = options;
        _generator = options.EmbeddingGenerator!;
        _manifestKey = options.KeyPrefix + "manifest";
        _entryPrefix = options.KeyPrefix + "e:";
    }

    public float Threshold => _options.Threshold;

    /// <summary>The index of <paramref name="tenantId"/> as it is now, without a refresh (for tests and benchmarks).</summary>
    public SemanticIndex IndexOf(string? tenantId) => _indexes.GetOrAdd(tenantId ?? GlobalTenant, static (_, max) => new SemanticIndex(max), _options.MaxEntriesPerTenant);

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
        var index = await FreshIndexAsync(tenantId, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Keeps <paramref name="prompt"/> as a way to the answer under <paramref name="answerKey"/>: in the cache, its manifest and this process's index.</summary>
    public async ValueTask AddAsync(string? tenantId, string scope, string prompt, float[] vector, string answerKey, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        var now = _cache.TimeProvider.GetUtcNow().UtcTicks;
        var life = ttl ?? _cache.Config.Ttl;
        var expiresAt = life <= TimeSpan.Zero || life == Timeout.InfiniteTimeSpan || life.Ticks > long.MaxValue - now ? long.MaxValue : now + life.Ticks;
        var id = RequestHasher.HashToHex(Encoding.UTF8.GetBytes(answerKey))[..32];
        var entry = new SemanticEntry(id, scope, prompt, answerKey, now, expiresAt, vector);
        var bytes = SemanticEntryCodec.Encode(entry);
        var index = IndexOf(tenantId);
        index.Add(entry, local: true);
        try
        {
            await _cache.SetAsync(_entryPrefix + id, bytes, ttl, tenantId, cancellationToken).ConfigureAwait(false);
            var manifest = await ReadManifestAsync(tenantId, cancellationToken).ConfigureAwait(false);
            manifest.Remove(id);
            manifest.Add(id);
            await WriteManifestAsync(tenantId, manifest, ttl, cancellationToken).ConfigureAwait(false);
        }
        catch (CacheBackendException)
        {
            // Kept in this process only; the next refresh lists it in the manifest if the server is back.
        }
    }

    private async ValueTask<SemanticIndex> FreshIndexAsync(string? tenantId, CancellationToken cancellationToken)
    {
        var index = IndexOf(tenantId);
        var now = _cache.TimeProvider.GetUtcNow().UtcTicks;
        if (index.LastRefreshUtcTicks != long.MinValue && now - index.LastRefreshUtcTicks < _options.RefreshInterval.Ticks)
        {
            return index;
        }

        // One lookup refreshes; the others use the index as it is, except before the first load.
        var first = index.LastRefreshUtcTicks == long.MinValue;
        if (!await index.RefreshGate.WaitAsync(first ? Timeout.Infinite : 0, cancellationToken).ConfigureAwait(false))
        {
            return index;
        }

        try
        {
            if (index.LastRefreshUtcTicks == long.MinValue || now - index.LastRefreshUtcTicks >= _options.RefreshInterval.Ticks)
            {
                await RefreshAsync(tenantId, index, cancellationToken).ConfigureAwait(false);
                index.LastRefreshUtcTicks = now;
            }
        }
        catch (CacheBackendException)
        {
            // The server is away: search what this process has, and try again after the interval.
            index.LastRefreshUtcTicks = now;
        }
        finally
        {
            index.RefreshGate.Release();
        }

        return index;
    }

    private async ValueTask RefreshAsync(string? tenantId, SemanticIndex index, CancellationToken cancellationToken)
    {
        var manifest = await ReadManifestAsync(tenantId, cancellationToken).ConfigureAwait(false);
        var listed = new HashSet<string>(manifest, StringComparer.Ordinal);
        var now = _cache.TimeProvider.GetUtcNow().UtcTicks;
        var (toLoad, toRelist) = index.Reconcile(listed, now);
        var changed = false;
        if (toRelist.Count > 0)
        {
            // Added here since the last refresh but not listed: either a concurrent manifest write lost it (its entry
            // is on the server: list it again) or the tenant was cleared since (its entry is gone: drop it).
            var keys = new string[toRelist.Count];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = _entryPrefix + toRelist[i];
            }

            var present = await _cache.GetManyAsync<byte[]>(keys, tenantId, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < keys.Length; i++)
            {
                if (present.ContainsKey(keys[i]))
                {
                    changed = true;
                }
                else
                {
                    index.Remove(toRelist[i]);
                    toRelist[i] = string.Empty;
                }
            }
        }

        if (toLoad.Count > 0)
        {
            var keys = new string[toLoad.Count];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = _entryPrefix + toLoad[i];
            }

            var found = await _cache.GetManyAsync<byte[]>(keys, tenantId, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < keys.Length; i++)
            {
                if (found.TryGetValue(keys[i], out var bytes) && SemanticEntryCodec.Decode(toLoad[i], bytes) is { } entry && entry.ExpiresAtUtcTicks > now)
                {
                    index.Add(entry, local: false);
                }
                else
                {
                    // Expired or removed on the server: drop it from the manifest too.
                    manifest.Remove(toLoad[i]);
                    changed = true;
                }
            }
        }

        if (changed)
        {
            foreach (var id in toRelist)
            {
                if (id.Length > 0 && !manifest.Contains(id))
                {
                    manifest.Add(id);
                }
            }

            await WriteManifestAsync(tenantId, manifest, ttl: null, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<List<string>> ReadManifestAsync(string? tenantId, CancellationToken cancellationToken)
    {
        var bytes = await _cache.GetAsync<byte[]>(_manifestKey, tenantId, cancellationToken: cancellationToken).ConfigureAwait(false);
        var ids = new List<string>();
        if (bytes is null || bytes.Length == 0)
        {
            return ids;
        }

        foreach (var range in Encoding.ASCII.GetString(bytes).AsSpan().Split('\n'))
        {
            if (range.End.Value - range.Start.Value == 32)
            {
                ids.Add(Encoding.ASCII.GetString(bytes, range.Start.Value, 32));
            }
        }

        return ids;
    }

    private async ValueTask WriteManifestAsync(string? tenantId, List<string> ids, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        // The newest entries are at the end; past the bound the oldest go, as in the index.
        var skip = Math.Max(0, ids.Count - _options.MaxEntriesPerTenant);
        var bytes = Encoding.ASCII.GetBytes(string.Join('\n', ids.Skip(skip)));
        await _cache.SetAsync(_manifestKey, bytes, ttl, tenantId, cancellationToken).ConfigureAwait(false);
    }
}
