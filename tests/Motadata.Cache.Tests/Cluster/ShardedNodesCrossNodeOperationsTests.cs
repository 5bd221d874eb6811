using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>Cross-node operations on three independent sharded standalone servers.</summary>
public sealed class ShardedNodesCrossNodeOperationsTests(RedisNodesFixture fixture) : CrossNodeOperationsTests(fixture), IClassFixture<RedisNodesFixture>;
