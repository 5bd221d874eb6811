namespace Motadata.Cache;

/// <summary>
/// Hands out the caches registered with <c>AddMotadataCache</c>, by name, for apps that hold several. A named cache
/// is also a keyed service: <c>[FromKeyedServices("name")] CacheMechanism cache</c>.
/// </summary>
public interface ICacheMechanismProvider
{
    /// <summary>The names of every registered cache; the default cache is the empty string.</summary>
    IReadOnlyCollection<string> Names { get; }

    /// <summary>The cache registered under <paramref name="name"/>, created on first use.</summary>
    /// <param name="name">The name it was registered with; null or empty for the default cache.</param>
    /// <returns>The cache, owned by the container: do not dispose it.</returns>
    /// <exception cref="InvalidOperationException">No cache has that name; the message lists the names there are.</exception>
    CacheMechanism GetCache(string? name = null);
}
