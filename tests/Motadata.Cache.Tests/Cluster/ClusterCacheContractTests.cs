using Motadata.Cache.Tests.Contract;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// The whole contract on a three-primary Redis Cluster (cluster mode detected, keys spread over slots by the
/// caller's key), recovery on: every test also asserts that no backend call failed.
/// </summary>
public sealed class ClusterCacheContractTests : DragonflyCacheContractTestsBase, IClassFixture<RedisClusterFixture>
{
    public ClusterCacheContractTests(RedisClusterFixture fixture)
        : base(fixture, enableRecovery: true)
    {
    }
}
