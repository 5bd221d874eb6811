using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>Cross-node operations on a three-primary Redis Cluster.</summary>
public sealed class ClusterCrossNodeOperationsTests(RedisClusterFixture fixture) : CrossNodeOperationsTests(fixture), IClassFixture<RedisClusterFixture>;
