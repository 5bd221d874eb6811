namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// Clearing everything, and counting everything, reach exactly the key shapes this cache writes under its prefix
/// (<c>g:</c> and <c>t:N:tenant:</c> spread, <c>{g}:</c> and <c>{t:N:tenant}:</c> co-located), never another program's keys that merely start the same way; and a
/// pattern built to make Redis's glob matcher backtrack is answered right without being sent to the server.
/// </summary>
public sealed class DragonflyOwnedKeysTests : IClassFixture<RedisServerFixture>
{
    private static readonly string[] s_foreignShapes =
        ["{tomato}", "{t:x}", "{tail}:x", "{glob}", "{g}", "{t:1:ab}:k", "{t:01:a}:k", "{t:2:a}:k", "{t:1:a}",
         "tomato", "t:x", "tail:x", "g", "gx:k", "t:1:ab", "t:01:a:k", "t:2:a", "t:1:a", "t::a:k"];

    private readonly RedisServerFixture _fixture;

    public DragonflyOwnedKeysTests(RedisServerFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData(TenantPlacement.Spread)]
    [InlineData(TenantPlacement.CoLocated)]
    public async Task WhenEverythingIsClearedKeysOfOtherShapesUnderThePrefixAreLeftAlone(TenantPlacement placement)
    {
        var prefix = RedisServerFixture.UniquePrefix("owned");
        await using var cache = NewCache(prefix, placement);
        foreach (var shape in s_foreignShapes)
        {
            await _fixture.Raw.StringSetAsync(prefix + shape, "theirs");
        }

        cache.Set("k", "v");
        cache.Set("k", "v", tenantId: "a");
        cache.Set("k", "v", tenantId: "t:1:ab");

        Assert.Equal(3, (await cache.GetUsageAsync()).Size);
        Assert.Equal(3, (await cache.GetStatsAsync()).Size);
        Assert.Equal(3, cache.Clear());

        foreach (var shape in s_foreignShapes)
        {
            Assert.Equal("theirs", (string?)await _fixture.Raw.StringGetAsync(prefix + shape));
        }

        Assert.Equal(s_foreignShapes.Length, (await _fixture.KeysStartingWithAsync(prefix)).Count);
        Assert.Equal(0, await cache.ClearAsync());
    }

    [Fact]
    public async Task WhenAPatternWouldMakeRedisBacktrackItIsMatchedByTheClientWithTheSameAnswer()
    {
        var prefix = RedisServerFixture.UniquePrefix("backtrack");
        await using var cache = NewCache(prefix);
        var filler = new string('a', 1000);
        var entries = Enumerable.Range(0, 200).Select(i => KeyValuePair.Create(filler + i, "v")).ToList();
        entries.Add(KeyValuePair.Create(filler + "b", "match"));
        cache.WarmCache(entries, tenantId: "acme");
        cache.Set(filler + "b", "other tenant", tenantId: "globex");

        // Redis's matcher would cost 1023 x 1000 steps per key here; ours is linear, and the answer the same.
        Assert.Equal(1, await cache.InvalidateAsync("*" + new string('a', 1000) + "b", "acme"));
        Assert.Null(cache.Get<string>(filler + "b", "acme"));
        Assert.Equal("other tenant", cache.Get<string>(filler + "b", "globex"));
        Assert.Equal(200, (await cache.GetUsageAsync("acme")).Size);

        Assert.Equal(0, cache.Invalidate("*" + new string('a', 1022) + "b", "acme"));
        Assert.Equal(10, cache.Invalidate("a*a1?", "acme"));
        Assert.Equal(190, (await cache.GetUsageAsync("acme")).Size);
        Assert.Equal("v", cache.Get<string>(filler + "1", "acme"));
        Assert.Null(cache.Get<string>(filler + "17", "acme"));
    }

    private CacheMechanism NewCache(string prefix, TenantPlacement placement = TenantPlacement.Spread) => new(new CacheConfig
    {
        TenantPlacement = placement,
        Backend = CacheBackend.Dragonfly,
        DragonflyUrl = _fixture.Server.Url,
        KeyPrefix = prefix,
        EnableRecovery = false,
        OperationTimeout = TimeSpan.FromSeconds(10),
    });
}
