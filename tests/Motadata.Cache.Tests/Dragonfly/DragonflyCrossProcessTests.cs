using Motadata.Cache.Tests.Peer;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// Two OS processes, each with its own cache, sharing one <c>redis-server</c>: what one does (set, delete, invalidate,
/// clear) the other sees at once. The second process is this test assembly started again as a peer
/// (<see cref="PeerProcess"/>); each step waits for the other side's acknowledgement, so nothing sleeps.
/// </summary>
public sealed class DragonflyCrossProcessTests : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly RedisServerFixture _fixture;
    private readonly string _prefix = RedisServerFixture.UniquePrefix("xproc");
    private CacheMechanism _cache = null!;
    private PeerProcess _peer = null!;

    public DragonflyCrossProcessTests(RedisServerFixture fixture) => _fixture = fixture;

    public async Task InitializeAsync()
    {
        _cache = new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = _fixture.Server.Url,
            KeyPrefix = _prefix,
            EnableRecovery = false,
            OperationTimeout = TimeSpan.FromSeconds(10),
        });
        _peer = await PeerProcess.StartAsync(_fixture.Server.Url, _prefix);
        Assert.NotEqual(Environment.ProcessId, _peer.ProcessId);
    }

    public async Task DisposeAsync()
    {
        await _peer.DisposeAsync();
        await _cache.DisposeAsync();
    }

    [Fact]
    public async Task WhatOneProcessSetsTheOtherReads()
    {
        Assert.True(await _cache.SetAsync("k", "from-test", tenantId: "t"));
        Assert.Equal("from-test", await _peer.GetAsync("t", "k"));

        Assert.Equal("ok True", await _peer.SetAsync("t", "k", "from-peer"));
        Assert.Equal("from-peer", await _cache.GetAsync<string>("k", "t"));

        Assert.Equal("ok True", await _peer.SetAsync(null, "g", "global-from-peer"));
        Assert.Equal("global-from-peer", _cache.Get<string>("g"));
        Assert.Null(await _cache.GetAsync<string>("g", "t"));
    }

    [Fact]
    public async Task WhatOneProcessDeletesTheOtherNoLongerReads()
    {
        Assert.True(await _cache.SetAsync("a", "v", tenantId: "t"));
        Assert.True(await _cache.SetAsync("b", "v", tenantId: "t"));
        Assert.Equal("v", await _peer.GetAsync("t", "a"));

        Assert.Equal("ok True", await _peer.DeleteAsync("t", "a"));
        Assert.Null(await _cache.GetAsync<string>("a", "t"));
        Assert.False(await _cache.DeleteAsync("a", "t"));

        Assert.True(await _cache.DeleteAsync("b", "t"));
        Assert.Null(await _peer.GetAsync("t", "b"));
        Assert.Equal("ok False", await _peer.DeleteAsync("t", "b"));
    }

    [Fact]
    public async Task WhatOneProcessInvalidatesTheOtherNoLongerReadsAndTheRestStays()
    {
        foreach (var key in new[] { "user_1", "user_2", "order_1" })
        {
            Assert.True(await _cache.SetAsync(key, "v-" + key, tenantId: "t"));
        }

        Assert.True(await _cache.SetAsync("user_1", "other-tenant", tenantId: "u"));

        Assert.Equal("ok 2", await _peer.InvalidateAsync("t", "user_*"));
        Assert.Null(await _cache.GetAsync<string>("user_1", "t"));
        Assert.Null(await _cache.GetAsync<string>("user_2", "t"));
        Assert.Equal("v-order_1", await _cache.GetAsync<string>("order_1", "t"));
        Assert.Equal("other-tenant", await _cache.GetAsync<string>("user_1", "u"));

        Assert.Equal("ok True", await _peer.SetAsync("t", "user_3", "from-peer"));
        Assert.Equal(1, await _cache.InvalidateAsync("user_*", "t"));
        Assert.Null(await _peer.GetAsync("t", "user_3"));
        Assert.Equal("v-order_1", await _peer.GetAsync("t", "order_1"));
    }

    [Fact]
    public async Task WhatOneProcessClearsTheOtherNoLongerReads()
    {
        Assert.True(await _cache.SetAsync("a", "v", tenantId: "t"));
        Assert.True(await _cache.SetAsync("b", "v", tenantId: "t"));
        Assert.True(await _cache.SetAsync("a", "kept", tenantId: "u"));
        Assert.True(await _cache.SetAsync("g", "global"));

        Assert.Equal("ok 2", await _peer.ClearAsync("t"));
        Assert.Null(await _cache.GetAsync<string>("a", "t"));
        Assert.Null(await _cache.GetAsync<string>("b", "t"));
        Assert.Equal("kept", await _cache.GetAsync<string>("a", "u"));
        Assert.Equal("global", await _cache.GetAsync<string>("g"));

        Assert.Equal("ok True", await _peer.SetAsync("u", "b", "from-peer"));
        Assert.Equal(3, await _cache.ClearAsync());
        Assert.Null(await _peer.GetAsync("u", "a"));
        Assert.Null(await _peer.GetAsync("u", "b"));
        Assert.Null(await _peer.GetAsync(null, "g"));
    }
}
