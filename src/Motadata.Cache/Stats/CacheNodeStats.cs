namespace Motadata.Cache;

/// <summary>One server's share of a <see cref="CacheStats"/> on the Dragonfly backend: a cluster primary or a shard.</summary>
public sealed class CacheNodeStats
{
    /// <summary>The server, as <c>host:port</c>.</summary>
    public required string Endpoint { get; init; }

    /// <summary>Entries of the snapshot's scope held on this server.</summary>
    public long Size { get; init; }

    /// <summary>Bytes the server reports (<c>MEMORY USAGE</c>) for those entries.</summary>
    public long MemoryUsage { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Endpoint}: Size={Size}, MemoryUsage={MemoryUsage}";
}
