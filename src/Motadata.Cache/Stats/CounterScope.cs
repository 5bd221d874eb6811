namespace Motadata.Cache.Stats;

/// <summary>Whom a <see cref="CounterKind"/> is kept for: each namespace, or the cache as a whole.</summary>
internal enum CounterScope
{
    /// <summary>Kept per tenant (and for the global namespace); the whole cache's figure is the sum.</summary>
    Namespace,

    /// <summary>Kept once for the whole cache; a tenant's statistics have none.</summary>
    WholeCache,
}
