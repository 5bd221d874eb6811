using Motadata.Cache.Tests.Dragonfly;
using Motadata.Cache.Tests.Peer;

namespace Motadata.Cache.Tests.TwoLevel;

/// <summary>
/// Two OS processes with the local level on, sharing one <c>redis-server</c>: what one process writes or removes, the
/// other stops serving from its local level, and after that never serves the old state again.
/// </summary>
public sealed class TwoLevelCrossProcessTests : TwoLevelTestsBase
{
    private PeerProcess? _peer;

    public TwoLevelCrossProcessTests(RedisServerFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public async Task WhatOneProcessChangesTheOtherStopsServingFromItsLocalLevel()
    {
        var cache = CreateInstance();
        _peer = await PeerProcess.StartAsync(Fixture.Server.Url, Prefix, localLevel: true);
        try
        {
            foreach (var (tenant, key) in new[] { ("t", "k"), ("t", "user_1"), ("t", "order_1"), ("u", "k") })
            {
                Assert.True(await cache.SetAsync(key, "old", tenantId: tenant));
                await PeerReadsLocallyAsync(tenant, key, "old");
            }

            Assert.True(await cache.SetAsync("k", "new", tenantId: "t"));
            await PeerReadsOnlyAsync("t", "k", "new");

            Assert.True(await cache.DeleteAsync("k", "t"));
            await PeerReadsOnlyAsync("t", "k", null);

            Assert.Equal(1, await cache.InvalidateAsync("user_*", "t"));
            await PeerReadsOnlyAsync("t", "user_1", null);

            // Untouched by the invalidation: still served locally.
            await PeerReadsLocallyAsync("t", "order_1", "old");

            Assert.Equal(1, await cache.ClearAsync("t"));
            await PeerReadsOnlyAsync("t", "order_1", null);
            await PeerReadsLocallyAsync("u", "k", "old");

            await cache.ClearAsync();
            await PeerReadsOnlyAsync("u", "k", null);

            // And the other way round.
            Assert.True(await cache.SetAsync("back", "old", tenantId: "t"));
            Assert.Equal("old", await ReadUntilLocalAsync<string>(cache, "back", "t"));
            Assert.Equal("ok True", await _peer.SetAsync("t", "back", "new"));
            await EventuallyAsync(() => cache.Get<string>("back", "t") == "new", "this process serves the peer's write");
            for (var i = 0; i < 50; i++)
            {
                Assert.Equal("new", cache.Get<string>("back", "t"));
            }
        }
        finally
        {
            await _peer.DisposeAsync();
        }
    }

    private async Task PeerReadsLocallyAsync(string tenant, string key, string expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var before = await _peer!.LocalHitsAsync(tenant);
            Assert.Equal(expected, await _peer.GetAsync(tenant, key));
            if (await _peer.LocalHitsAsync(tenant) > before)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the peer never served '{key}' locally");
        }
    }

    /// <summary>Polls the peer until it reads <paramref name="expected"/>, then checks that it keeps doing so.</summary>
    private async Task PeerReadsOnlyAsync(string tenant, string key, string? expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (await _peer!.GetAsync(tenant, key) != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the peer never read '{expected}' under '{key}'");
        }

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(expected, await _peer.GetAsync(tenant, key));
        }
    }
}
