namespace Motadata.Cache.AI;

/// <summary>
/// Keys a request can set in <c>ChatOptions.AdditionalProperties</c> or
/// <c>EmbeddingGenerationOptions.AdditionalProperties</c> to steer the Motadata caching clients. They are never part
/// of the cache key and are not meant for the model.
/// </summary>
public static class AICacheProperties
{
    /// <summary>The tenant whose namespace serves the request (a string), when the client has no fixed tenant or selector.</summary>
    public const string TenantId = "motadata.cache.tenant";

    /// <summary>Set to <c>true</c> to send the request to the model without looking in or writing to the cache.</summary>
    public const string NoCache = "motadata.cache.nocache";
}
