namespace Motadata.Cache.Stats;

/// <summary>Where a <see cref="CounterKind"/> appears in a <see cref="CacheStats"/>: the figures every cache has, or an optional section.</summary>
internal enum CounterSection
{
    /// <summary>The figures every cache has (<see cref="CacheStats.Hits"/>, <see cref="CacheStats.Sets"/>, ...).</summary>
    Core,

    /// <summary><see cref="CacheStats.Dragonfly"/>: a remote backend's own figures.</summary>
    Dragonfly,

    /// <summary><see cref="CacheStats.Recovery"/>: recovery on.</summary>
    Recovery,

    /// <summary><see cref="CacheStats.LocalLevel"/>: the local level on.</summary>
    LocalLevel,
}
