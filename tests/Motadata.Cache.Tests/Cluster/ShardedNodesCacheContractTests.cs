using Motadata.Cache.Tests.Contract;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// The whole contract on three independent standalone servers with sharding on (rendezvous placement per tenant and
/// key), recovery on: every test also asserts that no backend call failed.
/// </summary>
public sealed class ShardedNodesCacheContractTests : DragonflyCacheContractTestsBase, IClassFixture<RedisNodesFixture>
{
    public ShardedNodesCacheContractTests(RedisNodesFixture fixture)
        : base(fixture, enableRecovery: true)
    {
    }
}
