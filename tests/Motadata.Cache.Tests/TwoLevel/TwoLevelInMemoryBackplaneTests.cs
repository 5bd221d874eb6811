using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Keys;
using Motadata.Cache.Stores.Tiers.TwoLevel;
using Motadata.Cache.Tests.Dragonfly;

namespace Motadata.Cache.Tests.TwoLevel;

/// <summary>
/// Several caches in one process over one <see cref="InMemoryBackplaneBus"/> (and one real <c>redis-server</c>), on
/// one fake clock: the backplane's time-based rules (heartbeats, forgetting quiet senders) are checked by moving the
/// clock one tick at a time, and its faults (a lost message, a deaf subscription) are made on purpose, not waited for.
/// </summary>
public sealed class TwoLevelInMemoryBackplaneTests : TwoLevelTestsBase
{
    private readonly InMemoryBackplaneBus _bus = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    public TwoLevelInMemoryBackplaneTests(RedisServerFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public async Task CachesSharingAnInMemoryBusDropWhatAnotherChanged()
    {
        var (a, _) = Create();
        var (b, _) = Create();
        Assert.True(a.Set("k", "old", tenantId: "t"));
        Assert.Equal("old", await ReadUntilLocalAsync<string>(b, "k", "t"));

        Assert.True(a.Set("k", "new", tenantId: "t"));

        await EventuallyAsync(() => !b.LocalLevel!.Local.TryGet(new CacheKey("t", "k"), out string? _), "B drops its copy");
        Assert.Equal("new", b.Get<string>("k", "t"));
        Assert.Equal(0, b.GetStats().LocalFlushes);
    }

    [Fact]
    public async Task AMessageLostOnTheWayIsNoticedByTheSendersNextOneAndEmptiesTheLocalLevel()
    {
        var (a, _) = Create();
        var (b, bTransport) = Create();
        Assert.True(a.Set("k", "old", tenantId: "t"));
        Assert.Equal("old", await ReadUntilLocalAsync<string>(b, "k", "t"));
        var before = b.GetStats();

        // A's announcement of its next write is lost on its way to B: B cannot know yet, and still holds the old value.
        var lost = 0;
        _bus.Drop = (member, text) => member == bTransport && IsKeyMessage(text, "k") && Interlocked.Exchange(ref lost, 1) == 0;
        Assert.True(a.Set("k", "new", tenantId: "t"));
        Assert.Equal(1, Volatile.Read(ref lost));
        Assert.True(b.LocalLevel!.Local.TryGet(new CacheKey("t", "k"), out string? stale));
        Assert.Equal("old", stale);

        // A's next message, about anything, shows B the gap in A's sequence: B empties its local level.
        Assert.True(a.Set("other", "x", tenantId: "t"));
        await EventuallyAsync(() => b.GetStats().LocalFlushes == before.LocalFlushes + 1, "B notices the gap");
        Assert.Equal(before.BackplaneMessagesDropped + 1, b.GetStats().BackplaneMessagesDropped);
        Assert.Equal("new", b.Get<string>("k", "t"));
    }

    [Fact]
    public async Task ASubscriptionThatWentDeafStopsLocalServingOnceNoHeartbeatCameBackForFiveSecondsOnTheClock()
    {
        var (b, bTransport) = Create();
        Assert.True(b.Set("k", "v", tenantId: "t"));
        Assert.Equal("v", await ReadUntilLocalAsync<string>(b, "k", "t"));
        var session = b.LocalLevel!.Backplane;

        // Nothing reaches B any more and nobody tells it: only the missing heartbeats can.
        bTransport.Deaf = true;
        var ticksInPatience = (int)(BackplaneSession.HeartbeatPatience / BackplaneSession.TickInterval);
        for (var i = 0; i < ticksInPatience; i++)
        {
            await AdvanceOneTickAsync(session);
        }

        Assert.True(b.LocalLevel.IsServing, "five seconds without an echo is still within patience");
        await AdvanceOneTickAsync(session);
        Assert.False(b.LocalLevel.IsServing);
        Assert.False(session.IsConfirmed);
        Assert.False(b.LocalLevel.Local.TryGet(new CacheKey("t", "k"), out string? _), "the local level was emptied");

        // A probe not back within ProbePatience on the clock: B subscribes afresh and asks the transport to re-read
        // where its channel lives (a Redis Cluster's failover moves it).
        var refreshes = bTransport.RouteRefreshes;
        await EventuallyAsync(
            () =>
            {
                _time.Advance(BackplaneSession.ProbePatience);
                return bTransport.RouteRefreshes > refreshes;
            },
            "B asks to re-read its channel's route");
        Assert.False(session.IsConfirmed);

        // Hearing again, it proves its subscription with a probe and serves locally again (a probe sent while it was
        // deaf is given up after ProbePatience on the clock, and another one sent).
        bTransport.Deaf = false;
        await EventuallyAsync(
            () =>
            {
                _time.Advance(BackplaneSession.ProbePatience);
                return session.IsConfirmed;
            },
            "B proves its subscription again");
        Assert.Equal("v", await ReadUntilLocalAsync<string>(b, "k", "t"));
    }

    [Fact]
    public async Task ASenderQuietForTheExpiryOnTheClockIsForgottenAndWhenHeardAgainItsNextMessageCountsAsAGap()
    {
        var (a, _) = Create();
        var (b, bTransport) = Create();
        var aId = a.LocalLevel!.Backplane.InstanceId;
        var session = b.LocalLevel!.Backplane;
        Assert.True(a.Set("k", "old", tenantId: "t"));
        await EventuallyAsync(() => session.KnownSenders == 1, "B knows A");
        Assert.Equal("old", await ReadUntilLocalAsync<string>(b, "k", "t"));

        // Nothing of A's reaches B (A's own heartbeats still come back to A): A goes quiet for B.
        _bus.Drop = (member, text) => member == bTransport && BackplaneMessage.TryDecode(text, out var message) && message.Instance == aId;
        var ticksToExpiry = (int)(BackplaneSession.SenderExpiry / BackplaneSession.TickInterval);
        for (var i = 0; i < ticksToExpiry - 1; i++)
        {
            await AdvanceOneTickAsync(session);
        }

        Assert.Equal(1, session.KnownSenders);
        await AdvanceOneTickAsync(session);
        Assert.Equal(0, session.KnownSenders);
        Assert.True(session.IsConfirmed, "B's own heartbeats kept coming back");

        // Heard again with a number other than 1: what it sent while forgotten may be missing, so B empties its level.
        _bus.Drop = null;
        var before = b.GetStats();
        Assert.True(a.Set("unrelated", "x", tenantId: "t"));
        await EventuallyAsync(() => b.GetStats().LocalFlushes == before.LocalFlushes + 1, "B treats the forgotten sender's message as a gap");
        Assert.Equal(1, session.KnownSenders);
        Assert.False(b.LocalLevel.Local.TryGet(new CacheKey("t", "k"), out string? _));
    }

    [Fact]
    public async Task ADepartedInstanceIsForgottenSoTheSenderMapShrinksBack()
    {
        var (b, _) = Create();
        var session = b.LocalLevel!.Backplane;
        var others = new List<CacheMechanism>();
        for (var i = 0; i < 3; i++)
        {
            var (other, _) = Create();
            Assert.True(other.Set($"k{i}", "v"));
            others.Add(other);
        }

        await EventuallyAsync(() => session.KnownSenders == 3, "B knows the three others");
        foreach (var other in others)
        {
            await other.DisposeAsync();
        }

        for (var i = 0; i < BackplaneSession.SenderExpiry / BackplaneSession.TickInterval; i++)
        {
            await AdvanceOneTickAsync(session);
        }

        Assert.Equal(0, session.KnownSenders);
    }

    [Fact]
    public async Task ACutConnectionStopsLocalServingUntilTheRestoredSubscriptionIsProven()
    {
        var (a, _) = Create();
        var (b, bTransport) = Create();
        Assert.True(a.Set("k", "old", tenantId: "t"));
        Assert.Equal("old", await ReadUntilLocalAsync<string>(b, "k", "t"));

        bTransport.Cut();
        Assert.False(b.LocalLevel!.IsServing);
        Assert.True(a.Set("k", "new", tenantId: "t"));

        bTransport.Restore();
        await EventuallyAsync(() => b.LocalLevel.Backplane.IsConfirmed, "B proves its restored subscription");
        Assert.Equal("new", await ReadUntilLocalAsync<string>(b, "k", "t"));
    }

    private static bool IsKeyMessage(string text, string key) =>
        BackplaneMessage.TryDecode(text, out var message) && message.Kind == BackplaneMessageKind.Key && message.Subject == key;

    /// <summary>Moves the clock one tick once the session's loop waits for it, and waits until the loop has taken it.</summary>
    private async Task AdvanceOneTickAsync(BackplaneSession session)
    {
        var before = session.Turns;
        _time.Advance(BackplaneSession.TickInterval);
        await EventuallyAsync(() => session.Turns > before, "the backplane's loop takes the tick");
    }

    private (CacheMechanism Cache, InMemoryBackplane Transport) Create()
    {
        var transport = _bus.Connect();
        var cache = CreateInstance(config => config.TimeProvider = _time, transport);

        // The loop has proved the subscription and waits for its next tick: the clock may move.
        var session = cache.LocalLevel!.Backplane;
        Assert.True(SpinWait.SpinUntil(() => session.WasEverConfirmed && session.Turns > 0, Patience), "the subscription was never proven");
        return (cache, transport);
    }
}
