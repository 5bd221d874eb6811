using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Motadata.Cache.AI.Internal;

namespace Motadata.Cache.AI;

/// <summary>
/// An embedding generator that keeps every vector it makes in a <see cref="CacheMechanism"/>, per tenant, as raw
/// little-endian floats. A batch is looked up in one round trip (one <c>MGET</c> on Dragonfly); only the inputs that
/// missed go to the inner generator, in one call, and the results come back in the order of the inputs.
/// </summary>
/// <remarks>
/// A vector's key is the SHA-256 of its input text, under a prefix that hashes the model id, the options
/// (dimensions, additional properties) and <see cref="EmbeddingCacheOptions.Version"/>. A call steers the cache with
/// the per-request controls of <see cref="AICacheProperties"/>: no-cache (every input to the model, vectors still
/// stored), no-store, TTL and namespace (s-maxage is for chat answers and is ignored here).
/// </remarks>
public sealed class MotadataCachingEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private const string Kind = "embedding";

    private readonly CacheMechanism _cache;
    private readonly EmbeddingCacheOptions _options;
    private readonly Lazy<string?> _defaultModelId;

    /// <summary>Wraps <paramref name="innerGenerator"/> with a cache.</summary>
    /// <param name="innerGenerator">The generator that calls the model.</param>
    /// <param name="cache">Where vectors are kept; owned by the caller.</param>
    /// <param name="options">How to cache; null for the defaults.</param>
    public MotadataCachingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> innerGenerator, CacheMechanism cache, EmbeddingCacheOptions? options = null)
        : base(innerGenerator)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        _defaultModelId = KeyedCacheOptions.DefaultModelId(() => InnerGenerator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId);
        _options = KeyedCacheOptions.Checked(options ?? new EmbeddingCacheOptions());
    }

    /// <summary>What this generator saved, per tenant.</summary>
    public AICacheCounters Statistics => _options.Statistics;

    /// <summary>The key the vector of <paramref name="value"/> is cached under (inside its tenant's namespace).</summary>
    /// <param name="value">The input text.</param>
    /// <param name="options">The call's options.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">The options hold a value that cannot be serialized (such a call is not cached).</exception>
    public string GetCacheKey(string value, EmbeddingGenerationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        var controls = CacheControls.Read(options?.AdditionalProperties, nameof(EmbeddingGenerationOptions));
        var prefix = ContextPrefix(options, controls.Namespace);
        if (prefix is null)
        {
            RequestHasher.ThrowUnkeyable("options");
        }

        return KeyOf(prefix, value);
    }

    /// <inheritdoc />
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var controls = CacheControls.Read(options?.AdditionalProperties, nameof(EmbeddingGenerationOptions));
        var selector = _options.TenantSelector;
        var tenantId = RequestHasher.ResolveTenant(
            selector is null ? _options.TenantId : selector(options), selector is not null, options?.AdditionalProperties, nameof(EmbeddingGenerationOptions));
        if (controls.NoCache && controls.NoStore)
        {
            _options.Statistics.RecordBypass(tenantId);
            return await base.GenerateAsync(values, options, cancellationToken).ConfigureAwait(false);
        }

        var inputs = values as IReadOnlyList<string> ?? [.. values];
        var results = new Embedding<float>[inputs.Count];
        if (inputs.Count == 0)
        {
            return new GeneratedEmbeddings<Embedding<float>>(results);
        }

        var prefix = ContextPrefix(options, controls.Namespace);
        if (prefix is null)
        {
            // A value the key cannot hold faithfully: neither read nor stored.
            _options.Statistics.RecordBypass(tenantId);
            return await base.GenerateAsync(values, options, cancellationToken).ConfigureAwait(false);
        }

        var modelId = options?.ModelId ?? DefaultModelId;
        var keys = new string[inputs.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = KeyOf(prefix, inputs[i] ?? throw new ArgumentException($"Input {i} is null; every input must be a string.", nameof(values)));
        }

        IReadOnlyDictionary<string, byte[]> found;
        if (controls.NoCache)
        {
            // no-cache: every input goes to the model, and the fresh vectors replace what was stored.
            found = new Dictionary<string, byte[]>();
        }
        else
        {
            try
            {
                found = await _cache.GetManyAsync<byte[]>(keys, tenantId, cancellationToken).ConfigureAwait(false);
            }
            catch (CacheBackendException)
            {
                // The cache is an optimisation: with the server away (and recovery off) every input goes to the model.
                found = new Dictionary<string, byte[]>();
            }
        }

        // The misses, each distinct input once, in the order they first appear.
        List<string>? missKeys = null;
        List<string>? missInputs = null;
        HashSet<string>? seen = null;
        for (var i = 0; i < keys.Length; i++)
        {
            if (found.TryGetValue(keys[i], out var bytes) && EmbeddingCodec.Decode(bytes) is { } vector)
            {
                results[i] = new Embedding<float>(vector) { ModelId = modelId };
                continue;
            }

            missKeys ??= [];
            missInputs ??= [];
            seen ??= new HashSet<string>(StringComparer.Ordinal);
            if (seen.Add(keys[i]))
            {
                missKeys.Add(keys[i]);
                missInputs.Add(inputs[i]);
            }
        }

        if (missKeys is null)
        {
            _options.Statistics.RecordHit(Kind, tenantId, inputs.Count, callAvoided: true, tokensSaved: 0);
            return new GeneratedEmbeddings<Embedding<float>>(results);
        }

        var hits = inputs.Count - CountNull(results);
        if (hits > 0)
        {
            _options.Statistics.RecordHit(Kind, tenantId, hits, callAvoided: false, tokensSaved: 0);
        }

        if (controls.NoCache)
        {
            _options.Statistics.RecordBypass(tenantId);
        }
        else
        {
            _options.Statistics.RecordMiss(Kind, tenantId, inputs.Count - hits);
        }

        var generated = await base.GenerateAsync(missInputs!, options, cancellationToken).ConfigureAwait(false);
        if (generated.Count != missInputs!.Count)
        {
            throw new InvalidOperationException(
                $"The inner embedding generator returned {generated.Count} embeddings for {missInputs.Count} inputs; it must return one per input, in order.");
        }

        var fresh = new Dictionary<string, Embedding<float>>(missKeys.Count, StringComparer.Ordinal);
        var toStore = new KeyValuePair<string, byte[]>[missKeys.Count];
        for (var j = 0; j < missKeys.Count; j++)
        {
            fresh[missKeys[j]] = generated[j];
            toStore[j] = new(missKeys[j], EmbeddingCodec.Encode(generated[j].Vector.Span));
        }

        for (var i = 0; i < results.Length; i++)
        {
            results[i] ??= fresh[keys[i]];
        }

        if (!controls.NoStore)
        {
            try
            {
                await _cache.WarmCacheAsync(toStore, controls.Ttl ?? _options.Ttl, tenantId, cancellationToken).ConfigureAwait(false);
            }
            catch (CacheBackendException)
            {
                // The vectors are made and go to the caller; they just are not kept this time.
            }
        }

        return new GeneratedEmbeddings<Embedding<float>>(results) { Usage = generated.Usage, AdditionalProperties = generated.AdditionalProperties };
    }

    private static int CountNull(Embedding<float>[] results)
    {
        var count = 0;
        foreach (var result in results)
        {
            if (result is null)
            {
                count++;
            }
        }

        return count;
    }

    private static string KeyOf(string prefix, string value)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        var rented = byteCount > 1024 ? ArrayPool<byte>.Shared.Rent(byteCount) : null;
        try
        {
            Span<byte> utf8 = rented ?? stackalloc byte[1024];
            var written = Encoding.UTF8.GetBytes(value, utf8);
            return prefix + RequestHasher.HashToHex(utf8[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private string? DefaultModelId => _defaultModelId.Value;

    /// <summary><see cref="EmbeddingCacheOptions.KeyPrefix"/>, then 16 hex characters of the hash of what else decides a vector (model, options, version), then a colon.</summary>
    /// <remarks>Null when the options hold a value that cannot be serialized (see <see cref="RequestHasher.TryHash"/>).</remarks>
    private string? ContextPrefix(EmbeddingGenerationOptions? options, string? requestNamespace)
    {
        var context = (Options: _options, Model: options?.ModelId ?? DefaultModelId, Call: options);
        var full = RequestHasher.TryHash(string.Empty, context, static (writer, context) =>
        {
            writer.WriteStartObject();
            writer.WriteString("version", context.Options.Version);
            writer.WriteString("model", context.Model);
            if (context.Call?.Dimensions is { } dimensions)
            {
                writer.WriteNumber("dimensions", dimensions);
            }

            CanonicalRequest.WriteProperties(writer, "properties", context.Call?.AdditionalProperties, AIJsonUtilities.DefaultOptions);

            writer.WriteEndObject();
        });
        if (full is null)
        {
            return null;
        }

        return requestNamespace is null
            ? string.Concat(_options.KeyPrefix, full.AsSpan(0, 16), ":")
            : $"{_options.KeyPrefix}{requestNamespace}:{full.AsSpan(0, 16)}:";
    }
}
