using System.Text.Json;
using Motadata.Cache.AI.Internal;

namespace Motadata.Cache.AI.Agents;

/// <summary>How <see cref="MotadataCachingAgent"/> caches whole agent runs.</summary>
public sealed class AgentResponseCacheOptions : IKeyedCacheOptions
{
    /// <summary>
    /// The tenant every run is cached for. When set, a run that names another tenant in
    /// <c>AgentRunOptions.AdditionalProperties[</c><see cref="AICacheProperties.TenantId"/><c>]</c> is refused (an
    /// <see cref="ArgumentException"/>); when null, a run names its tenant there, and one that does not uses the global namespace.
    /// </summary>
    /// <value>Default null.</value>
    public string? TenantId { get; set; }

    /// <summary>
    /// Part of every key: change it to stop serving answers cached before when something the key cannot see changes (the
    /// code of the agent's tools, a new prompt-template release; an agent with context providers is not cached at all). Instructions, tools,
    /// model and options of an agent built on a chat client are part of the key already.
    /// </summary>
    /// <value>Default <c>"1"</c>.</value>
    public string Version { get; set; } = "1";

    /// <summary>How long an answer is kept; null for the cache's <see cref="CacheConfig.Ttl"/>. A run can set its own with <see cref="AICacheProperties.Ttl"/>.</summary>
    /// <value>Default null.</value>
    public TimeSpan? Ttl { get; set; }

    /// <summary>What every key starts with, inside the tenant's namespace.</summary>
    /// <value>Default <c>"agent:"</c>.</value>
    public string KeyPrefix { get; set; } = "agent:";

    /// <summary>Where hits, misses and calls avoided are counted (kind <c>agent</c>).</summary>
    /// <value>Default a new instance per agent.</value>
    public AICacheCounters Statistics { get; set; } = new();

    /// <summary>How requests are written for hashing and answers for a remote backend; null for the agent framework's defaults.</summary>
    /// <value>Default null.</value>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }
}
