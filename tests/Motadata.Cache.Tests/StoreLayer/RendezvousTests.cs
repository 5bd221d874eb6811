using Motadata.Cache.Stores.Tiers.Sharded;

namespace Motadata.Cache.Tests.StoreLayer;

/// <summary>
/// The placement of keys over independent servers: even, independent of the order the servers are listed in, and
/// stable when a server is added or removed (only the keys that belong to it move).
/// </summary>
public sealed class RendezvousTests
{
    private static readonly string[] s_keys = [.. Enumerable.Range(0, 30_000).Select(static i => "user_" + i)];

    [Fact]
    public void KeysOfOneTenantSpreadEvenlyOverThreeServers()
    {
        ulong[] seeds = [Rendezvous.Seed("127.0.0.1:7001"), Rendezvous.Seed("127.0.0.1:7002"), Rendezvous.Seed("127.0.0.1:7003")];
        var counts = new int[3];
        foreach (var key in s_keys)
        {
            counts[Rendezvous.Pick(seeds, "acme", key)]++;
        }

        Assert.All(counts, count => Assert.InRange(count, 0.30 * s_keys.Length, 0.37 * s_keys.Length));
    }

    [Fact]
    public void AddingAFourthServerMovesAboutAQuarterOfTheKeysAndOnlyToIt()
    {
        ulong[] three = [Rendezvous.Seed("10.0.0.1:6379"), Rendezvous.Seed("10.0.0.2:6379"), Rendezvous.Seed("10.0.0.3:6379")];
        ulong[] four = [.. three, Rendezvous.Seed("10.0.0.4:6379")];
        var moved = 0;
        foreach (var key in s_keys)
        {
            var before = Rendezvous.Pick(three, "acme", key);
            var after = Rendezvous.Pick(four, "acme", key);
            if (before != after)
            {
                Assert.Equal(3, after);
                moved++;
            }
        }

        Assert.InRange(moved, 0.22 * s_keys.Length, 0.28 * s_keys.Length);
    }

    [Fact]
    public void LosingAServerMovesOnlyItsKeys()
    {
        ulong[] three = [Rendezvous.Seed("a:1"), Rendezvous.Seed("b:1"), Rendezvous.Seed("c:1")];
        ulong[] withoutB = [three[0], three[2]];
        foreach (var key in s_keys)
        {
            var before = Rendezvous.Pick(three, "t", key);
            var after = Rendezvous.Pick(withoutB, "t", key);
            if (before != 1)
            {
                Assert.Equal(before == 0 ? 0 : 1, after);
            }
        }
    }

    [Fact]
    public void TheOrderOfTheServersDoesNotMoveAnyKey()
    {
        ulong[] listed = [Rendezvous.Seed("x:1"), Rendezvous.Seed("y:1"), Rendezvous.Seed("z:1")];
        ulong[] reversed = [listed[2], listed[1], listed[0]];
        foreach (var key in s_keys.Take(5_000))
        {
            Assert.Equal(listed[Rendezvous.Pick(listed, null, key)], reversed[Rendezvous.Pick(reversed, null, key)]);
        }
    }

    [Fact]
    public void TheTenantIsPartOfThePlacement()
    {
        ulong[] seeds = [Rendezvous.Seed("x:1"), Rendezvous.Seed("y:1"), Rendezvous.Seed("z:1")];
        var differ = s_keys.Take(3_000).Count(key => Rendezvous.Pick(seeds, "acme", key) != Rendezvous.Pick(seeds, "globex", key));

        // Independent placements agree on about a third of the keys.
        Assert.InRange(differ, 1_800, 2_200);
    }
}
