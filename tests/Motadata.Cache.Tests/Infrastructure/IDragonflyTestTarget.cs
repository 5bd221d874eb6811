namespace Motadata.Cache.Tests.Infrastructure;

/// <summary>
/// Real servers a Dragonfly-backend test runs against (one server, a cluster, or independent sharded nodes): how to
/// point a config at them, and how to move their time forward for the keys under one prefix.
/// </summary>
public interface IDragonflyTestTarget
{
    /// <summary>Sets the backend, the URL and whatever else the topology needs (sharding settings); not the key prefix.</summary>
    void Configure(CacheConfig config);

    /// <summary>Shortens the TTL of every key under <paramref name="keyPrefix"/> on every node by <paramref name="by"/> (see <see cref="ServerClock"/>).</summary>
    Task AdvanceTimeAsync(string keyPrefix, TimeSpan by);
}
