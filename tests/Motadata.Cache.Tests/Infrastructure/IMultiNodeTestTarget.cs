namespace Motadata.Cache.Tests.Infrastructure;

/// <summary>
/// Real servers with several nodes (a cluster, or independent sharded nodes): what a test needs to see where keys
/// landed and to write another application's keys behind the cache's back.
/// </summary>
public interface IMultiNodeTestTarget : IDragonflyTestTarget
{
    /// <summary>The nodes, in the order their endpoints appear in the URL.</summary>
    IReadOnlyList<RedisServer> Servers { get; }

    /// <summary>How many keys starting with <paramref name="prefix"/> each node holds, in <see cref="Servers"/> order (SCAN per node).</summary>
    Task<long[]> CountPerNodeAsync(string prefix);

    /// <summary>Every key starting with <paramref name="prefix"/> on node <paramref name="index"/>.</summary>
    Task<List<string>> KeysOnNodeAsync(int index, string prefix);

    /// <summary>Writes <paramref name="key"/> (a full server key) with no TTL, on whichever node it belongs to for a plain client.</summary>
    Task WriteRawAsync(string key, string value);
}
