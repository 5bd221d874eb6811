namespace Motadata.Cache.Tests.Contract;

public abstract partial class CacheContractTests
{
    /// <summary>The keys every invalidation test starts from: look-alikes, cases, and glob metacharacters as data.</summary>
    public static readonly string[] InvalidationKeys =
    [
        "user_1", "user_2", "user_10", "user_a", "user_", "admin_1", "usr_1", "User_1",
        "a*b", "a?b", "a[b", "a]b", "a\\b", "ab", "axb", "b:c",
    ];

    [Theory]
    [InlineData("*", "user_1|user_2|user_10|user_a|user_|admin_1|usr_1|User_1|a*b|a?b|a[b|a]b|a\\b|ab|axb|b:c")]
    [InlineData("**", "user_1|user_2|user_10|user_a|user_|admin_1|usr_1|User_1|a*b|a?b|a[b|a]b|a\\b|ab|axb|b:c")]
    [InlineData("user_*", "user_1|user_2|user_10|user_a|user_")]
    [InlineData("user_1*", "user_1|user_10")]
    [InlineData("user_?", "user_1|user_2|user_a")]
    [InlineData("user_??", "user_10")]
    [InlineData("user_[12]", "user_1|user_2")]
    [InlineData("user_[0-9]", "user_1|user_2")]
    [InlineData("user_[0-9]*", "user_1|user_2|user_10")]
    [InlineData("user_[^0-9]", "user_a")]
    [InlineData("user_[^a]", "user_1|user_2")]
    [InlineData("[uU]ser_1", "user_1|User_1")]
    [InlineData("u*_1", "user_1|usr_1")]
    [InlineData("*_1", "user_1|admin_1|usr_1|User_1")]
    [InlineData("*_", "user_")]
    [InlineData("a?b", "a*b|a?b|a[b|a]b|a\\b|axb")]
    [InlineData("a*b", "a*b|a?b|a[b|a]b|a\\b|ab|axb")]
    [InlineData("a\\*b", "a*b")]
    [InlineData("a\\?b", "a?b")]
    [InlineData("a\\[b", "a[b")]
    [InlineData("a\\\\b", "a\\b")]
    [InlineData("a[*?]b", "a*b|a?b")]
    [InlineData("a[\\[\\]]b", "a[b|a]b")]
    [InlineData("a[^a-z]b", "a*b|a?b|a[b|a]b|a\\b")]
    [InlineData("[a-c]*", "admin_1|a*b|a?b|a[b|a]b|a\\b|ab|axb|b:c")]
    [InlineData("[c-a]*", "admin_1|a*b|a?b|a[b|a]b|a\\b|ab|axb|b:c")]
    [InlineData("b:*", "b:c")]
    [InlineData("user_1", "user_1")]
    [InlineData("us\\er_1", "user_1")]
    [InlineData("nothing*", "")]
    [InlineData("user_1?", "user_10")]
    [InlineData("user", "")]
    public async Task WhenPatternIsInvalidatedOnlyMatchingKeysOfThatTenantGo(string pattern, string expected)
    {
        await AssertInvalidationRemovesExactlyAsync(InvalidationKeys, pattern, expected, otherTenant: "t2");
    }

    /// <summary>
    /// Fills <paramref name="keys"/> in the global namespace, "t1" and <paramref name="otherTenant"/>, invalidates
    /// <paramref name="pattern"/> in "t1" (sync) and <paramref name="otherTenant"/> (async), and checks that exactly the
    /// '|'-separated <paramref name="expected"/> keys went from both tenants while the global namespace kept everything.
    /// </summary>
    private async Task AssertInvalidationRemovesExactlyAsync(string[] keys, string pattern, string expected, string otherTenant)
    {
        var cache = CreateCache();
        var removed = expected.Length == 0 ? [] : expected.Split('|');
        foreach (var key in keys)
        {
            cache.Set(key, "global:" + key);
            cache.Set(key, "t1:" + key, tenantId: "t1");
            cache.Set(key, otherTenant + ":" + key, tenantId: otherTenant);
        }

        Assert.Equal(removed.Length, cache.Invalidate(pattern, "t1"));
        Assert.Equal(removed.Length, await cache.InvalidateAsync(pattern, otherTenant));

        foreach (var key in keys)
        {
            var shouldBeGone = removed.Contains(key);
            Assert.Equal(!shouldBeGone, cache.TryGet<string>(key, out _, "t1"));
            Assert.Equal(!shouldBeGone, cache.TryGet<string>(key, out _, otherTenant));
            Assert.Equal("global:" + key, cache.Get<string>(key));
        }

        Assert.Equal(keys.Length - removed.Length, (await cache.GetUsageAsync("t1")).Size);
        Assert.Equal(keys.Length - removed.Length, (await cache.GetUsageAsync(otherTenant)).Size);
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenTenantIsNullInvalidateTouchesOnlyTheGlobalNamespace(CallStyle style)
    {
        var cache = CreateCache();
        var calls = new CacheCalls(cache, style);
        foreach (var key in new[] { "user_1", "user_2", "other" })
        {
            cache.Set(key, "global");
            cache.Set(key, "tenant", tenantId: "t");
        }

        Assert.Equal(2, await calls.InvalidateAsync("user_*"));
        Assert.Equal(1, await calls.InvalidateAsync("*", tenantId: null));

        Assert.Equal(0, (await cache.GetUsageAsync()).Size - (await cache.GetUsageAsync("t")).Size);
        Assert.Equal(3, (await cache.GetUsageAsync("t")).Size);
        Assert.Equal("tenant", cache.Get<string>("user_1", "t"));
        Assert.Equal("tenant", cache.Get<string>("other", "t"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenTenantIdsHoldGlobCharactersInvalidateStaysInsideTheOneTenant(CallStyle style)
    {
        var cache = CreateCache();
        var calls = new CacheCalls(cache, style);
        string[] tenants = ["t*", "t?", "t[1]", "t1", "t\\", "t", "t:x", "t:", "[t]", "t]", "t^", "tt", "t*x"];
        foreach (var tenant in tenants)
        {
            cache.Set("k1", tenant, tenantId: tenant);
            cache.Set("k2", tenant, tenantId: tenant);
            cache.Set("x:k3", tenant, tenantId: tenant);
        }

        for (var i = 0; i < tenants.Length; i++)
        {
            Assert.Equal(3, await calls.InvalidateAsync("*", tenants[i]));
            for (var j = i + 1; j < tenants.Length; j++)
            {
                Assert.Equal(3, (await cache.GetUsageAsync(tenants[j])).Size);
                Assert.Equal(tenants[j], cache.Get<string>("k1", tenants[j]));
            }
        }
    }

    [Fact]
    public void WhenTenantAndKeyCouldCollideInvalidateRemovesOnlyTheNamespacesOwnKeys()
    {
        var cache = CreateCache();
        cache.Set("b:c", "short tenant", tenantId: "a");
        cache.Set("c", "long tenant", tenantId: "a:b");
        cache.Set("a:b:c", "global");

        Assert.Equal(1, cache.Invalidate("b*", "a"));
        Assert.Equal(0, cache.Invalidate("b*", "a:b"));
        Assert.Equal(0, cache.Invalidate("b*"));
        Assert.Equal(0, cache.Invalidate("c"));
        Assert.Equal(0, cache.Invalidate("*c", "a"));

        Assert.Equal("long tenant", cache.Get<string>("c", "a:b"));
        Assert.Null(cache.Get<string>("b:c", "a"));
        Assert.Equal("global", cache.Get<string>("a:b:c"));
    }

    [Fact]
    public void WhenNothingMatchesInvalidateReturnsZeroAndRemovesNothing()
    {
        var cache = CreateCache();
        Assert.Equal(0, cache.Invalidate("*", "empty"));
        cache.Set("key", "value", tenantId: "t");

        Assert.Equal(0, cache.Invalidate("nothing*", "t"));
        Assert.Equal(0, cache.Invalidate("*", "other"));
        Assert.Equal(0, cache.Invalidate("*"));
        Assert.Equal(0, cache.Invalidate("KEY", "t"));

        Assert.Equal("value", cache.Get<string>("key", "t"));
    }

    [Fact]
    public async Task WhenManyKeysMatchInvalidateRemovesEveryOneAndCountsThem()
    {
        var cache = CreateCache();
        var pairs = Enumerable.Range(0, 1500).ToDictionary(i => $"session:{i}", i => i);
        cache.WarmCache(pairs, tenantId: "t");
        cache.Set("keep", 1, tenantId: "t");

        Assert.Equal(1500, cache.Invalidate("session:*", "t"));

        Assert.Equal(1, (await cache.GetUsageAsync("t")).Size);
        Assert.False(cache.TryGet<int>("session:0", out _, "t"));
        Assert.False(cache.TryGet<int>("session:1499", out _, "t"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenTenantIsClearedOnlyItsEntriesGoAndTheyAreCounted(CallStyle style)
    {
        var cache = CreateCache();
        var calls = new CacheCalls(cache, style);
        for (var i = 0; i < 5; i++)
        {
            cache.Set($"k{i}", i, tenantId: "a");
        }

        cache.Set("k0", 10, tenantId: "a:b");
        cache.Set("k0", 20, tenantId: "a*");
        cache.Set("k0", 30, tenantId: "b");
        cache.Set("k0", 40);
        cache.Set("a:k0", 50);

        Assert.Equal(5, await calls.ClearAsync("a"));
        Assert.Equal(0, await calls.ClearAsync("a"));
        Assert.Equal(0, await calls.ClearAsync("never-used"));

        Assert.Equal(0, (await cache.GetUsageAsync("a")).Size);
        Assert.False(cache.TryGet<int>("k0", out _, "a"));
        Assert.Equal(10, cache.Get<int>("k0", "a:b"));
        Assert.Equal(20, cache.Get<int>("k0", "a*"));
        Assert.Equal(30, cache.Get<int>("k0", "b"));
        Assert.Equal(40, cache.Get<int>("k0"));
        Assert.Equal(50, cache.Get<int>("a:k0"));
        Assert.Equal(5, (await cache.GetUsageAsync()).Size);
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenEverythingIsClearedEveryNamespaceEmptiesAndAllAreCounted(CallStyle style)
    {
        var cache = CreateCache();
        var calls = new CacheCalls(cache, style);
        cache.Set("k", 1);
        cache.Set("k2", 2);
        cache.Set("k", 3, tenantId: "a");
        cache.Set("k", 4, tenantId: "b");
        cache.Set("k", 5, tenantId: "*");

        Assert.Equal(5, await calls.ClearAsync());
        Assert.Equal(0, await calls.ClearAsync());

        Assert.False(cache.TryGet<int>("k", out _));
        Assert.False(cache.TryGet<int>("k", out _, "a"));
        Assert.False(cache.TryGet<int>("k", out _, "b"));
        Assert.False(cache.TryGet<int>("k", out _, "*"));
        Assert.Equal(0, (await cache.GetUsageAsync()).Size);
        Assert.Equal(0, (await cache.GetUsageAsync("a")).Size);
        cache.Set("k", 6, tenantId: "a");
        Assert.Equal(6, cache.Get<int>("k", "a"));
    }
}
