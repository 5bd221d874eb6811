namespace Motadata.Cache.AI;

/// <summary>
/// Keys a request can set in <c>ChatOptions.AdditionalProperties</c> or
/// <c>EmbeddingGenerationOptions.AdditionalProperties</c> to steer the Motadata caching clients, as an LLM gateway's
/// per-request cache controls do. They are never part of the cache key and are not meant for the model. A value of
/// the wrong type is an <see cref="ArgumentException"/> that names the property; nothing is called or stored then.
/// </summary>
/// <remarks>
/// Booleans may be given as <see cref="bool"/>, the strings <c>"true"</c>/<c>"false"</c> or a JSON boolean; durations
/// as a <see cref="TimeSpan"/> or a number of seconds (<see cref="int"/>, <see cref="long"/>, <see cref="double"/> or a
/// JSON number), so a gateway can pass through what it parsed from JSON.
/// </remarks>
public static class AICacheProperties
{
    /// <summary>The tenant whose namespace serves the request (a string), when the client has no fixed tenant or selector.</summary>
    public const string TenantId = "motadata.cache.tenant";

    /// <summary>
    /// <c>no-cache</c>: set to <c>true</c> to send the request to the model without reading the cache; the fresh
    /// answer is still stored (unless <see cref="NoStore"/> is set too), so it replaces an answer the caller did not want.
    /// </summary>
    public const string NoCache = "motadata.cache.nocache";

    /// <summary><c>no-store</c>: set to <c>true</c> to keep the answer out of the cache. The cache is still read, unless <see cref="NoCache"/> is set too.</summary>
    public const string NoStore = "motadata.cache.nostore";

    /// <summary>
    /// <c>ttl</c>: how long this request's answer is kept (a positive duration), instead of the client's
    /// <c>Ttl</c> option or the cache's <see cref="CacheConfig.Ttl"/>.
    /// </summary>
    public const string Ttl = "motadata.cache.ttl";

    /// <summary>
    /// <c>s-maxage</c>: the oldest cached answer the caller accepts (a duration, zero or more). An answer cached longer
    /// ago is not served: the model answers and the fresh answer is stored. Chat only: an embedding of a given model and
    /// version does not go stale, so the embedding generator ignores it.
    /// </summary>
    public const string MaxAge = "motadata.cache.s-maxage";

    /// <summary>
    /// <c>namespace</c>: a namespace within the tenant (a non-empty string without <c>*</c>, <c>?</c>, <c>[</c>,
    /// <c>]</c>, <c>\</c> or <c>:</c>). Answers cached under one namespace are not served to another, and
    /// <c>cache.Invalidate("chat:{namespace}:*", tenant)</c> drops one namespace's answers.
    /// </summary>
    public const string Namespace = "motadata.cache.namespace";
}
