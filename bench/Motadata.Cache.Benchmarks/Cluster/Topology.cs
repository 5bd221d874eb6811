namespace Motadata.Cache.Benchmarks.Cluster;

/// <summary>How the servers of a scale-out benchmark are laid out.</summary>
public enum Topology
{
    /// <summary>One standalone redis-server.</summary>
    OneNode,

    /// <summary>A three-primary Redis Cluster (cluster mode detected).</summary>
    Cluster3,

    /// <summary>Three independent standalone redis-servers, sharded by rendezvous hashing (<c>EnableSharding</c>).</summary>
    Sharded3,
}
