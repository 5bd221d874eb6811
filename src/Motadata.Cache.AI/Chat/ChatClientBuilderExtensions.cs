using Motadata.Cache;
using Motadata.Cache.AI;

namespace Microsoft.Extensions.AI;

/// <summary>Adds Motadata response caching to a chat pipeline.</summary>
public static class MotadataChatClientBuilderExtensions
{
    /// <summary>
    /// Caches the responses of the clients after this one in <paramref name="cache"/>, per tenant, streaming ones
    /// included. See <see cref="MotadataCachingChatClient"/>.
    /// </summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="cache">Where responses are kept; owned by the caller.</param>
    /// <param name="configure">Sets tenant, version, TTL and statistics.</param>
    /// <returns>The pipeline.</returns>
    public static ChatClientBuilder UseMotadataCache(this ChatClientBuilder builder, CacheMechanism cache, Action<ChatCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cache);
        var options = new ChatCacheOptions();
        configure?.Invoke(options);
        return builder.Use(inner => new MotadataCachingChatClient(inner, cache, options));
    }

    /// <summary>Like <see cref="UseMotadataCache(ChatClientBuilder, CacheMechanism, Action{ChatCacheOptions}?)"/>, with the cache registered in the container (<c>AddMotadataCache</c>).</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="configure">Sets tenant, version, TTL and statistics.</param>
    /// <returns>The pipeline.</returns>
    public static ChatClientBuilder UseMotadataCache(this ChatClientBuilder builder, Action<ChatCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new ChatCacheOptions();
        configure?.Invoke(options);
        return builder.Use((inner, services) =>
            new MotadataCachingChatClient(inner, (CacheMechanism?)services.GetService(typeof(CacheMechanism)) ?? throw new InvalidOperationException(
                "No CacheMechanism is registered; call services.AddMotadataCache(...) or pass the cache to UseMotadataCache."), options));
    }
}
