using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>One primary of a three-primary Redis Cluster frozen, recovery on.</summary>
public sealed class ClusterNodeOutageTests(RedisClusterFixture fixture) : NodeOutageTests(fixture), IClassFixture<RedisClusterFixture>;
