using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Motadata.Cache;
using Motadata.Cache.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Motadata caches in a service container.</summary>
/// <remarks>
/// The cache is a singleton created on first use and disposed with the container. Its settings are checked when the
/// host starts (<c>ValidateOnStart</c>), so a bad setting stops the app at once with every bad setting listed. Where
/// a setting leaves them null, the cache takes <see cref="TimeProvider"/>, <see cref="ILoggerFactory"/> and
/// <see cref="IMeterFactory"/> from the container.
/// </remarks>
public static class MotadataCacheServiceCollectionExtensions
{
    /// <summary>Registers the default cache with settings bound from <paramref name="configuration"/> (such as <c>configuration.GetSection("Cache")</c>).</summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">
    /// The section holding <see cref="CacheConfig"/>'s settings by name: the flat ones as keys (<c>Backend</c>,
    /// <c>DragonflyUrl</c>, <c>MaxSize</c>, <c>Ttl</c>...), each group as a sub-section (<c>Memory</c>,
    /// <c>Dragonfly</c>, <c>ReadBatching</c>, <c>Recovery</c>, <c>Integrity</c>, <c>LocalLevel</c>); the v1 flat keys
    /// (<c>KeyPrefix</c>, <c>EnableLocalLevel</c>...) still bind to the same settings.
    /// </param>
    /// <returns>A builder for optional services such as <see cref="MotadataCacheBuilder.AddDistributedCache"/>.</returns>
    public static MotadataCacheBuilder AddMotadataCache(this IServiceCollection services, IConfiguration configuration) =>
        AddMotadataCache(services, string.Empty, configuration);

    /// <summary>Registers the default cache with settings made by <paramref name="configure"/>.</summary>
    /// <param name="services">The container.</param>
    /// <param name="configure">Sets the cache's settings.</param>
    /// <returns>A builder for optional services such as <see cref="MotadataCacheBuilder.AddDistributedCache"/>.</returns>
    public static MotadataCacheBuilder AddMotadataCache(this IServiceCollection services, Action<CacheConfig> configure) =>
        AddMotadataCache(services, string.Empty, configure);

    /// <summary>
    /// Registers a named cache with settings bound from <paramref name="configuration"/>. Resolve it with
    /// <see cref="ICacheMechanismProvider.GetCache"/> or as a keyed service: <c>[FromKeyedServices("name")]</c>.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="name">The cache's name; empty for the default cache. Calling again with the same name adds settings to the same cache.</param>
    /// <param name="configuration">The section holding the settings.</param>
    /// <returns>A builder for optional services.</returns>
    public static MotadataCacheBuilder AddMotadataCache(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = Register(services, name);
        services.AddOptions<CacheConfig>(name).Bind(configuration);
        return builder;
    }

    /// <summary>
    /// Registers a named cache with settings made by <paramref name="configure"/>. Resolve it with
    /// <see cref="ICacheMechanismProvider.GetCache"/> or as a keyed service: <c>[FromKeyedServices("name")]</c>.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="name">The cache's name; empty for the default cache. Calling again with the same name adds settings to the same cache.</param>
    /// <param name="configure">Sets the cache's settings.</param>
    /// <returns>A builder for optional services.</returns>
    public static MotadataCacheBuilder AddMotadataCache(this IServiceCollection services, string name, Action<CacheConfig> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = Register(services, name);
        services.AddOptions<CacheConfig>(name).Configure(configure);
        return builder;
    }

    private static MotadataCacheBuilder Register(IServiceCollection services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);

        services.AddOptions();
        services.AddOptions<CacheConfig>(name).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CacheConfig>, CacheConfigValidator>());
        services.TryAddSingleton<ICacheMechanismProvider, CacheMechanismProvider>();

        var registered = services.Any(d => d.ServiceType == typeof(CacheRegistration) && d.ImplementationInstance is CacheRegistration r && r.Name == name);
        if (!registered)
        {
            services.AddSingleton(new CacheRegistration(name));
            if (name.Length == 0)
            {
                services.AddSingleton(sp => Create(sp, name));
            }
            else
            {
                services.AddKeyedSingleton(name, (sp, _) => Create(sp, name));
            }
        }

        return new MotadataCacheBuilder(services, name);
    }

    private static CacheMechanism Create(IServiceProvider services, string name)
    {
        // The options instance is shared by everyone who reads it: change a copy.
        var config = services.GetRequiredService<IOptionsMonitor<CacheConfig>>().Get(name).Clone();
        config.TimeProvider ??= services.GetService<TimeProvider>();
        config.LoggerFactory ??= services.GetService<ILoggerFactory>();
        config.MeterFactory ??= services.GetService<IMeterFactory>();
        if (name.Length > 0)
        {
            config.Name ??= name;
        }

        return new CacheMechanism(config);
    }
}
