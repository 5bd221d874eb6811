namespace Motadata.Cache.Server.Endpoints.Contracts;

/// <summary>One server's share of the cache on the Dragonfly backend (a cluster primary or a shard).</summary>
/// <param name="Endpoint">The server, <c>host:port</c>.</param>
/// <param name="Size">Entries held on it.</param>
/// <param name="MemoryUsage">Bytes it reports for them.</param>
internal sealed record NodeStatsResponse(string Endpoint, long Size, long MemoryUsage);
