using Motadata.Cache.Stores.Tiers.Cluster;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// The cluster's own view of who owns each slot (<see cref="ClusterView"/>), merged from the <c>CLUSTER NODES</c>
/// replies of several nodes: the claim of the highest configuration epoch wins, as in the cluster itself.
/// </summary>
public sealed class ClusterViewTests
{
    // Node a (epoch 1) owned 0-8191 and died; its replica c was promoted (epoch 4). Node b owns the rest.
    private const string Lagging =
        "aaa 127.0.0.1:7000@17000 master,fail? - 0 0 1 connected 0-8191\n" +
        "bbb 127.0.0.1:7001@17001 myself,master - 0 0 2 connected 8192-16383\n" +
        "ccc 127.0.0.1:7002@17002 slave aaa 0 0 1 connected\n";

    private const string Informed =
        "aaa 127.0.0.1:7000@17000 master,fail - 0 0 1 disconnected\n" +
        "bbb 127.0.0.1:7001@17001 master - 0 0 2 connected 8192-16383\n" +
        "ccc 127.0.0.1:7002@17002 myself,master - 0 0 4 connected 0-8191\n";

    [Fact]
    public void TheClaimOfTheHighestEpochWinsWhicheverNodeAnsweredFirst()
    {
        foreach (var replies in new[] { new[] { Lagging, Informed }, new[] { Informed, Lagging } })
        {
            var view = ClusterView.Parse(replies);
            Assert.Equal("127.0.0.1:7002", view.Owners[0]);
            Assert.Equal("127.0.0.1:7002", view.Owners[8191]);
            Assert.Equal("127.0.0.1:7001", view.Owners[8192]);
            Assert.Equal(4, view.Epochs[0]);
            Assert.Equal(["127.0.0.1:7002", "127.0.0.1:7001"], view.Primaries);
            Assert.True(view.IsSettled);
            Assert.Contains("127.0.0.1:7000", view.Failing);
        }
    }

    [Fact]
    public void BeforeThePromotionTheDeadPrimaryStillOwnsItsSlotsAndIsFlaggedFailing()
    {
        var view = ClusterView.Parse([Lagging]);
        Assert.Equal("127.0.0.1:7000", view.Owners[100]);
        Assert.Equal(["127.0.0.1:7000", "127.0.0.1:7001"], view.Primaries);
        Assert.Contains("127.0.0.1:7000", view.Failing);
        Assert.NotEqual(ClusterView.Parse([Informed]).Shape, view.Shape);
    }

    [Fact]
    public void ASlotBeingMigratedMakesTheViewUnsettledAndHostnamesAndSingleSlotsAreRead()
    {
        var view = ClusterView.Parse(
        [
            "aaa 10.0.0.1:7000@17000,node-a myself,master - 0 0 3 connected 0-100 101 [102->-bbb]\n" +
            "bbb 10.0.0.2:7000@17000,node-b master - 0 0 2 connected 102-16383\n",
        ]);
        Assert.False(view.IsSettled);
        Assert.Equal("10.0.0.1:7000", view.Owners[101]);
        Assert.Equal("10.0.0.2:7000", view.Owners[102]);
        Assert.Empty(view.Failing);
    }

    [Fact]
    public void ANodeThatClaimsNothingIsNoPrimaryAndUnclaimedSlotsHaveNoOwner()
    {
        var view = ClusterView.Parse(["aaa 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-99\nccc 127.0.0.1:7002@17002 master - 0 0 0 connected\n"]);
        Assert.Equal(["127.0.0.1:7000"], view.Primaries);
        Assert.Null(view.Owners[100]);
    }
}
