using Motadata.Cache.Configuration;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores;
using Motadata.Cache.Stores.Tiers.Cluster;
using Motadata.Cache.Stores.Backends.Dragonfly;
using Motadata.Cache.Stores.Backends.Memory;
using Motadata.Cache.Stores.Tiers.Recovery;
using Motadata.Cache.Stores.Tiers.Sharded;

namespace Motadata.Cache;

// The composition root's parts (CreateStore calls them): every store is built here and handed the capabilities it
// uses (a backend's probe, a fallback tier, the tier below's health signal, how to recover one node), so no store finds
// another by a type test or a downcast, and no tier names a concrete backend (docs/store-layer.md).
public sealed partial class CacheMechanism
{
    /// <summary>Recovery around <paramref name="store"/>, probing its server with <paramref name="probe"/>.</summary>
    private static RecoveringStore Recover(ICacheStore store, IStoreProbe probe, CacheConfig config, CacheCounters statistics, TimeProvider time) =>
        new(store, probe, config, statistics, time, NewFallback(config, time));

    /// <summary>Makes the fallback tier of one outage (<see cref="RecoveryOptions.FallbackMaxSize"/>): a small memory store with counters of its own.</summary>
    private static Func<ICacheStore>? NewFallback(CacheConfig config, TimeProvider time)
    {
        if (config.Recovery is not { FallbackMaxSize: > 0 } recovery)
        {
            return null;
        }

        var fallback = CacheConfig.ForInProcessTier(recovery.FallbackMaxSize, maxBytes: null, config.Ttl, config.ScanInterval);
        return () => new MemoryStore(fallback, new CacheCounters(), time);
    }

    /// <summary>A Redis Cluster: one recovery per primary, each over a view of the store that walks that primary only (and probes it).</summary>
    private static ClusterStore CreateCluster(DragonflyStore dragonfly, CacheConfig config, CacheCounters statistics, TimeProvider time) =>
        new(
            dragonfly,
            dragonfly.Connection,
            dragonfly.Keys,
            server =>
            {
                var node = dragonfly.OnlyOn(server);
                return Recover(node, node, config, statistics, time);
            },
            config,
            time);

    /// <summary>
    /// Several independent servers (<see cref="CacheConfig.EnableSharding"/> with several hosts): a store per server,
    /// each with its own connection and recovery.
    /// </summary>
    private static ShardedStore CreateSharded(CacheConfig config, CacheCounters statistics, TimeProvider time)
    {
        var endpoint = DragonflyEndpoint.Parse(config.DragonflyUrl!);
        var shards = new List<ShardedStore.Shard>(endpoint.Hosts.Count);
        try
        {
            for (var i = 0; i < endpoint.Hosts.Count; i++)
            {
                var node = endpoint.ForHost(i);
                var server = new DragonflyStore(config, statistics, node);
                var name = node.Describe();
                if (server.Connection.IsCluster())
                {
                    server.Dispose();
                    throw new ArgumentException(
                        $"EnableSharding is on but {name} in DragonflyUrl answers as a Redis Cluster node; a cluster spreads keys over its own primaries, so turn EnableSharding off and list the cluster's nodes in DragonflyUrl.",
                        nameof(config));
                }

                var recovering = config.EnableRecovery ? Recover(server, server, config, statistics, time) : null;
                shards.Add(new ShardedStore.Shard(name, (ICacheStore?)recovering ?? server, recovering));
            }
        }
        catch
        {
            foreach (var shard in shards)
            {
                shard.Store.Dispose();
            }

            throw;
        }

        return new ShardedStore(shards, time);
    }
}
