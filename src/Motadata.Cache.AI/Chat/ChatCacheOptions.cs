using System.Text.Json;
using Microsoft.Extensions.AI;
using Motadata.Cache.AI.Internal;

namespace Motadata.Cache.AI;

/// <summary>How <see cref="MotadataCachingChatClient"/> caches responses.</summary>
public sealed class ChatCacheOptions : IKeyedCacheOptions
{
    /// <summary>
    /// The tenant every request is cached for. When null (and <see cref="TenantSelector"/> is null), a request names
    /// its tenant in <c>ChatOptions.AdditionalProperties[</c><see cref="AICacheProperties.TenantId"/><c>]</c>, and
    /// one that does not uses the global namespace.
    /// </summary>
    /// <value>Default null.</value>
    public string? TenantId { get; set; }

    /// <summary>Picks the tenant of each request; takes precedence over <see cref="TenantId"/>. Null means no tenant (the global namespace).</summary>
    /// <value>Default null.</value>
    public Func<IEnumerable<ChatMessage>, ChatOptions?, string?>? TenantSelector { get; set; }

    /// <summary>Part of every key: change it (a prompt-template or app version) to stop serving responses cached before.</summary>
    /// <value>Default <c>"1"</c>.</value>
    public string Version { get; set; } = "1";

    /// <summary>How long a response is kept; null for the cache's <see cref="CacheConfig.Ttl"/>.</summary>
    /// <value>Default null.</value>
    public TimeSpan? Ttl { get; set; }

    /// <summary>What every key starts with, inside the tenant's namespace.</summary>
    /// <value>Default <c>"chat:"</c>.</value>
    public string KeyPrefix { get; set; } = "chat:";

    /// <summary>Where hits, misses and calls avoided are counted; share one instance between clients to add them up.</summary>
    /// <value>Default a new instance per client.</value>
    public AICacheCounters Statistics { get; set; } = new();

    /// <summary>
    /// Turns on semantic caching: on an exact-key miss, a cached answer to a similar enough question (same tenant,
    /// model, instructions, earlier messages, tools and options) is served. Non-streaming requests only.
    /// </summary>
    /// <value>Default null (exact matches only).</value>
    public SemanticCacheOptions? Semantic { get; set; }

    /// <summary>How requests are written for hashing and responses for a remote backend; null for <c>AIJsonUtilities.DefaultOptions</c>.</summary>
    /// <value>Default null.</value>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }
}
