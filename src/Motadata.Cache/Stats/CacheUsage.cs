namespace Motadata.Cache;

/// <summary>
/// What a scope holds, as <see cref="CacheMechanism.GetUsageAsync"/> measured it: entries and bytes, and on Dragonfly
/// server by server. On Dragonfly this is a walk of the server (<c>SCAN</c> and <c>MEMORY USAGE</c>); on the memory
/// backend the in-process figures.
/// </summary>
public sealed class CacheUsage
{
    /// <summary>The tenant these figures are for; null for the whole cache.</summary>
    public string? TenantId { get; init; }

    /// <summary>Entries held.</summary>
    public long Size { get; init; }

    /// <summary>Bytes held: an estimate on the memory backend, the server's <c>MEMORY USAGE</c> figures on Dragonfly.</summary>
    public long MemoryUsage { get; init; }

    /// <summary><see cref="Size"/> and <see cref="MemoryUsage"/> server by server on Dragonfly; empty on the memory backend.</summary>
    /// <value>Default empty.</value>
    public IReadOnlyList<CacheNodeStats> Nodes { get; init; } = [];

    /// <inheritdoc />
    public override string ToString() => $"Size={Size}, MemoryUsage={MemoryUsage}, Nodes={Nodes.Count}";
}
