namespace Motadata.Cache.DependencyInjection;

/// <summary>Marks that a cache was registered under <see cref="Name"/> (empty for the default cache).</summary>
internal sealed record CacheRegistration(string Name);
