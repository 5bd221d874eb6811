using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// The cluster the tests start is a real, working three-primary cluster: every slot served, keys routed to their
/// owner, a node restarts into the cluster, and a reshard moves slots and their keys.
/// </summary>
public sealed class RedisClusterFixtureTests
{
    [Fact]
    public async Task WhenTheClusterStartsEverySlotIsServedByOneOfThreePrimariesAndKeysSpreadOverThem()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await using var connection = await RedisClusterFixture.ConnectAsync(cluster);

        var slots = new int[3];
        for (var i = 0; i < 3; i++)
        {
            slots[i] = await cluster.SlotCountAsync(i);
            Assert.True(slots[i] > 0, $"Node {i} serves no slot.");
        }

        Assert.Equal(16384, slots.Sum());
        Assert.StartsWith("dragonfly://127.0.0.1:", cluster.Url, StringComparison.Ordinal);
        Assert.Equal(3, cluster.Url.Split(',').Length);

        var database = connection.GetDatabase();
        for (var i = 0; i < 300; i++)
        {
            Assert.True(await database.StringSetAsync($"fixture:{i}", i));
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.True(await cluster.DbSizeAsync(i) > 0, $"Node {i} holds none of 300 keys.");
        }
    }

    [Fact]
    public async Task WhenANodeIsKilledAndRestartedItRejoinsTheClusterEmptyAndAReshardMovesSlots()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await using var connection = await RedisClusterFixture.ConnectAsync(cluster);
        var database = connection.GetDatabase();
        for (var i = 0; i < 300; i++)
        {
            await database.StringSetAsync($"fixture:{i}", i);
        }

        var id = await cluster.NodeIdAsync(2);
        await cluster.Nodes[2].KillAsync();
        await cluster.Nodes[2].RestartAsync();
        await cluster.WaitUntilReadyAsync();
        Assert.Equal(id, await cluster.NodeIdAsync(2));
        Assert.Equal(0, await cluster.DbSizeAsync(2));

        var before = await cluster.SlotCountAsync(2);
        var total = await cluster.DbSizeAsync(0) + await cluster.DbSizeAsync(1);
        await cluster.ReshardAsync([0, 1], to: 2, slots: 3000);
        await cluster.WaitUntilReadyAsync();

        Assert.Equal(before + 3000, await cluster.SlotCountAsync(2));
        Assert.Equal(total, await cluster.DbSizeAsync(0) + await cluster.DbSizeAsync(1) + await cluster.DbSizeAsync(2));
        Assert.True(await cluster.DbSizeAsync(2) > 0, "The reshard moved no key.");
    }

    [Fact]
    public async Task WhenANodeIsPausedTheOthersKeepServingTheirSlots()
    {
        await using var cluster = await RedisCluster.StartAsync();
        cluster.Nodes[1].Pause();
        try
        {
            Assert.StartsWith("+PONG", await cluster.Nodes[0].CommandAsync("PING"), StringComparison.Ordinal);
            Assert.StartsWith(":", await cluster.Nodes[2].CommandAsync("DBSIZE"), StringComparison.Ordinal);
        }
        finally
        {
            cluster.Nodes[1].Resume();
        }

        await cluster.WaitUntilReadyAsync();
    }

    [Fact]
    public async Task ThreeIndependentNodesAreStandaloneServersWithOneUrl()
    {
        await using var nodes = await RedisNodes.StartAsync();
        Assert.Equal(3, nodes.Nodes.Count);
        Assert.Equal("dragonfly://" + string.Join(',', nodes.EndPoints), nodes.Url);
        foreach (var node in nodes.Nodes)
        {
            Assert.Contains("cluster_enabled:0", await node.CommandAsync("INFO", "cluster"), StringComparison.Ordinal);
        }

        Assert.Equal(3, nodes.EndPoints.Distinct().Count());
    }
}
