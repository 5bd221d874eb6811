using Motadata.Cache;
using Motadata.Cache.AI;

namespace Microsoft.Extensions.AI;

/// <summary>Adds Motadata embedding caching to an embedding pipeline.</summary>
public static class MotadataEmbeddingGeneratorBuilderExtensions
{
    /// <summary>
    /// Caches the vectors of the generators after this one in <paramref name="cache"/>, per tenant, as raw floats;
    /// see <see cref="MotadataCachingEmbeddingGenerator"/>.
    /// </summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="cache">Where vectors are kept; owned by the caller.</param>
    /// <param name="configure">Sets tenant, version, TTL and statistics.</param>
    /// <returns>The pipeline.</returns>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> UseMotadataCache(this EmbeddingGeneratorBuilder<string, Embedding<float>> builder, CacheMechanism cache, Action<EmbeddingCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cache);
        var options = new EmbeddingCacheOptions();
        configure?.Invoke(options);
        return builder.Use(inner => new MotadataCachingEmbeddingGenerator(inner, cache, options));
    }
}
