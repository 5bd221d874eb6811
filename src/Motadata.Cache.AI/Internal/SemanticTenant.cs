namespace Motadata.Cache.AI.Internal;

/// <summary>One tenant's semantic state in this process: its index, this process's log, and how far the other writers' logs were read.</summary>
internal sealed class SemanticTenant(int maxEntries)
{
    public SemanticIndex Index { get; } = new(maxEntries);

    public SemanticLog Log { get; } = new();

    /// <summary>Per writer: the segment read last and how many of its ids were read.</summary>
    public Dictionary<string, (long Segment, int Count)> Positions { get; } = new(StringComparer.Ordinal);

    /// <summary>The registry's epoch as last seen; another epoch means the tenant was cleared since.</summary>
    public string? Epoch { get; set; }

    /// <summary>The UTC ticks of the last refresh from the server; <see cref="long.MinValue"/> before the first.</summary>
    public long LastRefreshUtcTicks { get; set; } = long.MinValue;

    /// <summary>Held while the tenant is being refreshed, so one lookup refreshes and the others use what is there.</summary>
    public SemaphoreSlim RefreshGate { get; } = new(1, 1);

    /// <summary>When the tenant was last used, on the layer's use counter (for evicting idle tenants).</summary>
    public long LastUsed;
}
