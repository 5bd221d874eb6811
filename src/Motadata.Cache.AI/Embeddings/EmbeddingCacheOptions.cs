using Microsoft.Extensions.AI;
using Motadata.Cache.AI.Internal;

namespace Motadata.Cache.AI;

/// <summary>How <see cref="MotadataCachingEmbeddingGenerator"/> caches vectors.</summary>
public sealed class EmbeddingCacheOptions : IKeyedCacheOptions
{
    /// <summary>
    /// The tenant every vector is cached for. When null (and <see cref="TenantSelector"/> is null), a call names
    /// its tenant in <c>EmbeddingGenerationOptions.AdditionalProperties[</c><see cref="AICacheProperties.TenantId"/><c>]</c>.
    /// </summary>
    /// <value>Default null.</value>
    public string? TenantId { get; set; }

    /// <summary>Picks the tenant of each call; takes precedence over <see cref="TenantId"/>.</summary>
    /// <value>Default null.</value>
    public Func<EmbeddingGenerationOptions?, string?>? TenantSelector { get; set; }

    /// <summary>Part of every key: change it to stop serving vectors cached before (such as after changing how text is prepared).</summary>
    /// <value>Default <c>"1"</c>.</value>
    public string Version { get; set; } = "1";

    /// <summary>How long a vector is kept; null for the cache's <see cref="CacheConfig.Ttl"/>.</summary>
    /// <value>Default null.</value>
    public TimeSpan? Ttl { get; set; }

    /// <summary>What every key starts with, inside the tenant's namespace.</summary>
    /// <value>Default <c>"emb:"</c>.</value>
    public string KeyPrefix { get; set; } = "emb:";

    /// <summary>Where hits, misses and calls avoided are counted; share one instance between clients to add them up.</summary>
    /// <value>Default a new instance per generator.</value>
    public AICacheCounters Statistics { get; set; } = new();
}
