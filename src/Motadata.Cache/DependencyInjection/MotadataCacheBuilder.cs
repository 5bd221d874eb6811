using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace Motadata.Cache;

/// <summary>Adds optional services on top of a cache registered with <c>AddMotadataCache</c>.</summary>
public sealed class MotadataCacheBuilder
{
    internal MotadataCacheBuilder(IServiceCollection services, string name)
    {
        Services = services;
        Name = name;
    }

    /// <summary>The container being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The cache's name; empty for the default cache.</summary>
    public string Name { get; }

    /// <summary>
    /// Registers this cache as the app's <see cref="IDistributedCache"/> (an <see cref="IBufferDistributedCache"/>,
    /// bound to <paramref name="tenantId"/>), so HybridCache, session state and <c>DistributedCachingChatClient</c>
    /// store into it. It replaces an <see cref="IDistributedCache"/> registered before; a named cache's view is also
    /// a keyed service under the cache's name.
    /// </summary>
    /// <param name="tenantId">The tenant whose namespace holds the entries; null for the global namespace.</param>
    /// <returns>This builder.</returns>
    public MotadataCacheBuilder AddDistributedCache(string? tenantId = null)
    {
        var name = Name;
        if (name.Length == 0)
        {
            Services.AddSingleton<IDistributedCache>(sp => sp.GetRequiredService<CacheMechanism>().AsDistributedCache(tenantId));
        }
        else
        {
            Services.AddKeyedSingleton<IDistributedCache>(name, (sp, _) => sp.GetRequiredKeyedService<CacheMechanism>(name).AsDistributedCache(tenantId));
            Services.AddSingleton<IDistributedCache>(sp => sp.GetRequiredKeyedService<IDistributedCache>(name));
        }

        return this;
    }
}
