using Motadata.Cache.Tests.Dragonfly;

namespace Motadata.Cache.Tests.TwoLevel;

/// <summary>
/// What goes over the backplane and what a message does: an unreadable message empties the local level, and a
/// delete that removed nothing on the server sends nothing.
/// </summary>
public sealed class TwoLevelBackplaneMessageTests : TwoLevelTestsBase
{
    public TwoLevelBackplaneMessageTests(RedisServerFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public async Task AnUnreadableMessageDropsEveryLocalCopyAndIsCountedAsDroppedAndAsAFlush()
    {
        var a = CreateInstance();
        var b = CreateInstance();
        Assert.True(a.Set("k1", "v1", tenantId: "t1"));
        Assert.True(a.Set("k2", "v2", tenantId: "t2"));
        Assert.Equal("v1", await ReadUntilLocalAsync<string>(b, "k1", "t1"));
        Assert.Equal("v2", await ReadUntilLocalAsync<string>(b, "k2", "t2"));
        Assert.Equal(2, b.LocalLevel!.Local.GetUsage(null).Size);
        var before = b.GetStats();

        // What a newer version's message could look like: a format this one cannot read.
        await Fixture.Server.CommandAsync("PUBLISH", Prefix + "backplane", "v9|something new");

        // The backplane counts the drop, then empties the local level and counts the flush: wait for the last of them
        // (waiting for the drop alone raced with the flush).
        await EventuallyAsync(() => b.GetStats().LocalLevel!.Flushes > before.LocalLevel!.Flushes, "B empties its local level for the unreadable message");
        var after = b.GetStats();
        Assert.True(after.LocalLevel!.BackplaneMessagesDropped > before.LocalLevel!.BackplaneMessagesDropped);
        Assert.Equal(0, b.LocalLevel.Local.GetUsage(null).Size);

        // B keeps working: the next read comes from the server, later ones locally again.
        var localHits = LocalHits(b, "t1");
        Assert.Equal("v1", b.Get<string>("k1", "t1"));
        Assert.Equal(localHits, LocalHits(b, "t1"));
        Assert.Equal("v1", await ReadUntilLocalAsync<string>(b, "k1", "t1"));
    }

    [Fact]
    public async Task ADeleteOfAMissingKeyPublishesNothingAndADeleteOfAPresentKeyPublishesOneMessage()
    {
        var a = CreateInstance();
        var b = CreateInstance();
        Assert.True(a.Set("present", "v", tenantId: "t"));
        Assert.Equal("v", await ReadUntilLocalAsync<string>(b, "present", "t"));
        var sent = a.GetStats().BackplaneMessagesSent;

        Assert.False(a.Delete("missing", "t"));
        Assert.False(await a.DeleteAsync("missing", "t"));
        Assert.Equal(sent, a.GetStats().BackplaneMessagesSent);

        Assert.True(await a.DeleteAsync("present", "t"));
        Assert.Equal(sent + 1, a.GetStats().BackplaneMessagesSent);
        await EventuallyAsync(() => b.LocalLevel!.Local.GetUsage("t").Size == 0, "B drops its copy of the deleted key");
        Assert.Null(b.Get<string>("present", "t"));
    }
}
