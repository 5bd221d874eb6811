using Microsoft.Extensions.DependencyInjection;

namespace Motadata.Cache.DependencyInjection;

/// <summary>Resolves caches by name through the container's keyed services.</summary>
internal sealed class CacheMechanismProvider : ICacheMechanismProvider
{
    private readonly IServiceProvider _services;

    public CacheMechanismProvider(IServiceProvider services, IEnumerable<CacheRegistration> registrations)
    {
        _services = services;
        Names = registrations.Select(static r => r.Name).Distinct(StringComparer.Ordinal).ToArray();
    }

    public IReadOnlyCollection<string> Names { get; }

    public CacheMechanism GetCache(string? name = null)
    {
        name ??= string.Empty;
        if (!Names.Contains(name, StringComparer.Ordinal))
        {
            throw new InvalidOperationException(
                $"No Motadata cache is registered as \"{name}\". Registered: {(Names.Count == 0 ? "none" : string.Join(", ", Names.Select(static n => n.Length == 0 ? "(default)" : $"\"{n}\"")))}. " +
                "Register it with services.AddMotadataCache(\"name\", ...).");
        }

        return name.Length == 0
            ? _services.GetRequiredService<CacheMechanism>()
            : _services.GetRequiredKeyedService<CacheMechanism>(name);
    }
}
