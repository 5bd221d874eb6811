using Motadata.Cache.Tests.Dragonfly;

namespace Motadata.Cache.Tests.TwoLevel;

/// <summary>
/// What one instance writes or removes, the others stop serving from their local level: they pick up the new state,
/// and once they have, never serve the old one again; tenants the call did not touch keep their local entries.
/// </summary>
public sealed class TwoLevelCoherenceTests : TwoLevelTestsBase
{
    private const int ReadsAfter = 50;

    public TwoLevelCoherenceTests(RedisServerFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public async Task ASecondReadIsALocalHitAndCountedAsOne()
    {
        var a = CreateInstance();
        Assert.True(a.Set("k", "v", tenantId: "t"));
        var b = CreateInstance();

        Assert.Equal("v", b.Get<string>("k", "t"));
        Assert.Equal("v", await ReadUntilLocalAsync<string>(b, "k", "t"));

        var stats = b.GetStats("t");
        Assert.True(stats.LocalHits >= 1);
        Assert.True(stats.ServerHits >= 1, "the first read came from the server");
        Assert.Equal(stats.Hits, stats.LocalHits + stats.ServerHits);
        Assert.Equal("v", await b.GetAsync<string>("k", "t"));
    }

    [Fact]
    public async Task AfterASetOnOneInstanceTheOthersServeTheNewValueAndNeverTheOldAgain()
    {
        var a = CreateInstance();
        var b = CreateInstance();
        var c = CreateInstance();
        Assert.True(a.Set("k", "old", tenantId: "t"));
        Assert.Equal("old", await ReadUntilLocalAsync<string>(b, "k", "t"));
        Assert.Equal("old", await ReadUntilLocalAsync<string>(c, "k", "t"));

        Assert.True(await a.SetAsync("k", "new", tenantId: "t"));

        foreach (var other in new[] { b, c })
        {
            await EventuallyAsync(() => other.Get<string>("k", "t") == "new", "the other instance serves the new value");
            for (var i = 0; i < ReadsAfter; i++)
            {
                Assert.Equal("new", other.Get<string>("k", "t"));
            }

            // And it is served locally again.
            Assert.Equal("new", await ReadUntilLocalAsync<string>(other, "k", "t"));
        }

        Assert.True(a.GetStats().BackplaneMessagesSent >= 1);
        Assert.True(b.GetStats().BackplaneMessagesReceived >= 1);
    }

    [Fact]
    public async Task AfterADeleteOnOneInstanceTheOtherMissesAndNeverServesTheOldValue()
    {
        var a = CreateInstance();
        var b = CreateInstance();
        Assert.True(a.Set("k", "old", tenantId: "t"));
        Assert.True(a.Set("kept", "v", tenantId: "t"));
        Assert.Equal("old", await ReadUntilLocalAsync<string>(b, "k", "t"));
        Assert.Equal("v", await ReadUntilLocalAsync<string>(b, "kept", "t"));

        Assert.True(a.Delete("k", "t"));

        await EventuallyAsync(() => !b.TryGet<string>("k", out _, "t"), "the other instance misses the deleted key");
        for (var i = 0; i < ReadsAfter; i++)
        {
            Assert.False(b.TryGet<string>("k", out _, "t"));
        }

        Assert.Equal("v", await ReadUntilLocalAsync<string>(b, "kept", "t"));
    }

    [Fact]
    public async Task AfterAPatternInvalidationOnlyTheMatchingKeysOfThatTenantLeaveTheOtherInstance()
    {
        var a = CreateInstance();
        var b = CreateInstance();
        foreach (var (tenant, key) in new[] { ("t", "user_1"), ("t", "user_2"), ("t", "order_1"), ("u", "user_1") })
        {
            Assert.True(a.Set(key, "v", tenantId: tenant));
            Assert.Equal("v", await ReadUntilLocalAsync<string>(b, key, tenant));
        }

        Assert.Equal(2, await a.InvalidateAsync("user_*", "t"));

        await EventuallyAsync(
            () => !b.TryGet<string>("user_1", out _, "t") && !b.TryGet<string>("user_2", out _, "t"),
            "the other instance misses the invalidated keys");
        for (var i = 0; i < ReadsAfter; i++)
        {
            Assert.False(b.TryGet<string>("user_1", out _, "t"));
            Assert.False(b.TryGet<string>("user_2", out _, "t"));
        }

        // Untouched: the same tenant's other key, and another tenant's key of the same name, still local hits.
        var localBefore = LocalHits(b, "u");
        Assert.Equal("v", b.Get<string>("user_1", "u"));
        Assert.Equal(localBefore + 1, LocalHits(b, "u"));
        localBefore = LocalHits(b, "t");
        Assert.Equal("v", b.Get<string>("order_1", "t"));
        Assert.Equal(localBefore + 1, LocalHits(b, "t"));
    }

    [Fact]
    public async Task AfterATenantClearOnlyThatTenantLeavesTheOtherInstance()
    {
        var a = CreateInstance();
        var b = CreateInstance();
        foreach (var tenant in new string?[] { "t", "u", null })
        {
            Assert.True(a.Set("k", "v", tenantId: tenant));
            Assert.Equal("v", await ReadUntilLocalAsync<string>(b, "k", tenant));
        }

        a.Clear("t");

        await EventuallyAsync(() => !b.TryGet<string>("k", out _, "t"), "the other instance misses the cleared tenant's key");
        for (var i = 0; i < ReadsAfter; i++)
        {
            Assert.False(b.TryGet<string>("k", out _, "t"));
        }

        foreach (var tenant in new string?[] { "u", null })
        {
            var localBefore = LocalHits(b, tenant);
            Assert.Equal("v", b.Get<string>("k", tenant));
            Assert.Equal(localBefore + 1, LocalHits(b, tenant));
        }
    }

    [Fact]
    public async Task AfterAClearOfEverythingNoInstanceServesAnyOldValue()
    {
        var a = CreateInstance();
        var b = CreateInstance();
        var c = CreateInstance();
        foreach (var tenant in new string?[] { "t", null })
        {
            Assert.True(a.Set("k", "v", tenantId: tenant));
            Assert.Equal("v", await ReadUntilLocalAsync<string>(b, "k", tenant));
            Assert.Equal("v", await ReadUntilLocalAsync<string>(c, "k", tenant));
        }

        await a.ClearAsync();

        foreach (var other in new[] { b, c })
        {
            await EventuallyAsync(
                () => !other.TryGet<string>("k", out _, "t") && !other.TryGet<string>("k", out _),
                "the other instance misses every cleared key");
            for (var i = 0; i < ReadsAfter; i++)
            {
                Assert.False(other.TryGet<string>("k", out _, "t"));
                Assert.False(other.TryGet<string>("k", out _));
            }
        }
    }

    [Fact]
    public async Task AfterAWarmOnOneInstanceTheOtherServesTheWarmedValues()
    {
        var a = CreateInstance();
        var b = CreateInstance();
        Assert.True(a.Set("k1", "old", tenantId: "t"));
        Assert.True(a.Set("other", "v", tenantId: "u"));
        Assert.Equal("old", await ReadUntilLocalAsync<string>(b, "k1", "t"));
        Assert.Equal("v", await ReadUntilLocalAsync<string>(b, "other", "u"));

        Assert.Equal(2, a.WarmCache([new KeyValuePair<string, string>("k1", "new"), new KeyValuePair<string, string>("k:2|x", "new")], tenantId: "t"));

        await EventuallyAsync(() => b.Get<string>("k1", "t") == "new", "the other instance serves the warmed value");
        for (var i = 0; i < ReadsAfter; i++)
        {
            Assert.Equal("new", b.Get<string>("k1", "t"));
        }

        Assert.Equal("new", b.Get<string>("k:2|x", "t"));
        var localBefore = LocalHits(b, "u");
        Assert.Equal("v", b.Get<string>("other", "u"));
        Assert.Equal(localBefore + 1, LocalHits(b, "u"));
    }

    [Fact]
    public async Task ALocalEntryNeverOutlivesItsTtlOnTheServer()
    {
        var a = CreateInstance();
        var b = CreateInstance(config => config.LocalMaxLifetime = TimeSpan.FromHours(1));
        Assert.True(a.Set("k", "v", TimeSpan.FromMinutes(3), "t"));
        Assert.Equal("v", await ReadUntilLocalAsync<string>(b, "k", "t"));

        // The local copy's expiry, read from the local level itself, is no later than the server's.
        var serverTtl = await Fixture.Raw.KeyTimeToLiveAsync(RedisServerFixture.ServerKey(Prefix, "t", "k", b.Config.TenantPlacement));
        Assert.NotNull(serverTtl);
        Assert.True(b.LocalLevel!.Local.TryGetRemainingLifetime(new Motadata.Cache.Keys.CacheKey("t", "k"), out var localTtl));
        Assert.True(localTtl <= serverTtl.Value + TimeSpan.FromMilliseconds(1), $"local {localTtl} > server {serverTtl}");
        Assert.True(localTtl > TimeSpan.Zero);
    }
}
