using Motadata.Cache.Tests.Contract;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// The whole contract on a three-primary Redis Cluster with <see cref="TenantPlacement.CoLocated"/> (each tenant in
/// one slot), recovery on.
/// </summary>
public sealed class ClusterCoLocatedCacheContractTests : DragonflyCacheContractTestsBase, IClassFixture<RedisClusterFixture>
{
    public ClusterCoLocatedCacheContractTests(RedisClusterFixture fixture)
        : base(new CoLocatedTarget(fixture), enableRecovery: true)
    {
    }

    private sealed class CoLocatedTarget(IDragonflyTestTarget inner) : IDragonflyTestTarget
    {
        public void Configure(CacheConfig config)
        {
            inner.Configure(config);
            config.TenantPlacement = TenantPlacement.CoLocated;
        }

        public Task AdvanceTimeAsync(string keyPrefix, TimeSpan by) => inner.AdvanceTimeAsync(keyPrefix, by);
    }
}
