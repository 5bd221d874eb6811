namespace Motadata.Cache.Stats;

/// <summary>Why the memory store evicted an entry (the <c>reason</c> tag of the evictions counter).</summary>
internal enum EvictionReason
{
    /// <summary>The cache held <see cref="CacheConfig.MaxSize"/> entries.</summary>
    Size,

    /// <summary>The cache held <see cref="CacheConfig.MaxMemoryBytes"/>.</summary>
    Memory,

    /// <summary>The entry's tenant was at its own quota.</summary>
    TenantQuota,
}
