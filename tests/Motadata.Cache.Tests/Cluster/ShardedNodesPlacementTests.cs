using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// Rendezvous placement over real independent servers: a cache that loses a server finds every key of the others
/// where it was (only the lost server's share moves), one that gains a fourth finds about three quarters, and the
/// order the servers are listed in does not matter.
/// </summary>
public sealed class ShardedNodesPlacementTests(RedisNodesFixture fixture) : MultiNodeTestsBase(fixture), IClassFixture<RedisNodesFixture>
{
    private const int Keys = 4_000;
    private static readonly TimeSpan s_ttl = TimeSpan.FromHours(1);

    [Fact]
    public async Task WhenAServerIsLeftOutOnlyItsKeysMoveAndEveryOtherKeyIsFoundWhereItWas()
    {
        var three = CreateCache();
        Assert.Equal(Keys, await three.WarmCacheAsync(Numbered("k:", Keys), s_ttl, "t"));
        var nodeOf = await NodeOfEachCallerKeyAsync();
        var onFirstTwo = nodeOf.Count(pair => pair.Value < 2);

        var two = CreateCache(config =>
        {
            config.DragonflyUrl = $"dragonfly://{fixture.Nodes.EndPoints[0]},{fixture.Nodes.EndPoints[1]}";
            config.ShardCount = 2;
        });
        var found = await two.GetManyAsync<int>(nodeOf.Keys.ToList(), "t");

        Assert.Equal(onFirstTwo, found.Count);
        Assert.All(found.Keys, key => Assert.True(nodeOf[key] < 2, $"{key} was on the left-out server, yet found."));
    }

    [Fact]
    public async Task WhenAFourthServerIsAddedAboutAQuarterOfTheKeysMoveToItAndNoneBetweenTheOthers()
    {
        await using var fourth = await RedisServer.StartAsync();
        var three = CreateCache();
        Assert.Equal(Keys, await three.WarmCacheAsync(Numbered("k:", Keys), s_ttl, "t"));

        var four = CreateCache(config =>
        {
            config.DragonflyUrl = $"{fixture.Nodes.Url},{fourth.EndPoint}";
            config.ShardCount = 4;
        });
        var found = (await four.GetManyAsync<int>(Numbered("k:", Keys).Select(pair => pair.Key).ToList(), "t")).Count;

        // The keys four servers place on the first three are exactly where three servers put them: all found.
        Assert.InRange(found, Keys * 65 / 100, Keys * 85 / 100);
        Assert.Equal(Keys - found, await four.WarmCacheAsync(Numbered("k:", Keys).Where(pair => !four.TryGet<int>(pair.Key, out _, "t")), s_ttl, "t"));
        Assert.Equal(Keys - found, await CountOnAsync(fourth));
    }

    [Fact]
    public async Task TheOrderOfTheServersInTheUrlDoesNotMoveAnyKey()
    {
        var written = CreateCache();
        Assert.Equal(Keys, await written.WarmCacheAsync(Numbered("k:", Keys), s_ttl, "t"));

        var reversed = CreateCache(config => config.DragonflyUrl = "dragonfly://" + string.Join(',', fixture.Nodes.EndPoints.Reverse()));

        Assert.Equal(Keys, (await reversed.GetManyAsync<int>(Numbered("k:", Keys).Select(pair => pair.Key).ToList(), "t")).Count);
    }

    private async Task<Dictionary<string, int>> NodeOfEachCallerKeyAsync()
    {
        var prefix = NamespacePrefix("t");
        return (await NodeOfEachKeyAsync(prefix)).ToDictionary(pair => pair.Key[prefix.Length..], pair => pair.Value, StringComparer.Ordinal);
    }

    private static async Task<int> CountOnAsync(RedisServer server)
    {
        var reply = await server.CommandAsync("DBSIZE");
        return int.Parse(reply.AsSpan(1).TrimEnd("\r\n"), System.Globalization.CultureInfo.InvariantCulture);
    }
}
