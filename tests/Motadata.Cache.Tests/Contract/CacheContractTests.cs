namespace Motadata.Cache.Tests.Contract;

/// <summary>
/// The behaviour every backend must share, written once. A backend's test class derives from this, says how to
/// point a <see cref="CacheConfig"/> at its backend, and how to move time forward (a fake clock for memory; for a
/// server, every TTL the test's keys hold is shortened on the server, so no test waits on or races the real clock). The tests assume nothing memory-only: values come back equal, not identical; time passes only
/// through <see cref="AdvanceTimeAsync"/>; byte figures are only checked to be positive. Every cache created in one
/// test sees the others' data (one key prefix per test-class instance on a server). Split by behaviour family:
/// <c>CacheContractTests.*.cs</c>.
/// </summary>
public abstract partial class CacheContractTests : IAsyncLifetime
{
    /// <summary>
    /// The TTL of entries a test expires with <see cref="AdvanceTimeAsync"/>. Long in real time on purpose: a test reads
    /// such an entry right after setting it, and a stalled thread on a busy machine must not see it expire.
    /// </summary>
    protected static readonly TimeSpan ShortTtl = TimeSpan.FromMinutes(1);

    /// <summary>Past <see cref="ShortTtl"/> and well short of <see cref="LongTtl"/>.</summary>
    protected static readonly TimeSpan PastShortTtl = TimeSpan.FromMinutes(2);

    /// <summary>A TTL no test outlives.</summary>
    protected static readonly TimeSpan LongTtl = TimeSpan.FromHours(1);

    private readonly List<CacheMechanism> _caches = [];

    /// <summary>Points <paramref name="config"/> at this backend (URL, clock, isolated key prefix).</summary>
    protected abstract void ConfigureBackend(CacheConfig config);

    /// <summary>Moves this backend's time forward by at least <paramref name="by"/>.</summary>
    protected abstract Task AdvanceTimeAsync(TimeSpan by);

    /// <summary>A new cache on this backend; disposed after the test.</summary>
    protected CacheMechanism CreateCache(Action<CacheConfig>? configure = null) => CreateCacheFrom(CreateConfig(configure));

    /// <summary>A config pointed at this backend, for tests that keep hold of it.</summary>
    protected CacheConfig CreateConfig(Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig();
        ConfigureBackend(config);
        configure?.Invoke(config);
        return config;
    }

    /// <summary>A new cache built from <paramref name="config"/>; disposed after the test.</summary>
    protected CacheMechanism CreateCacheFrom(CacheConfig config)
    {
        var cache = new CacheMechanism(config);
        _caches.Add(cache);
        return cache;
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        // Checked before anything is disposed, and for every cache, so a hidden failure fails the test that caused it.
        var checks = new List<Exception>();
        foreach (var cache in _caches)
        {
            try
            {
                AssertNoHiddenFailure(cache);
            }
#pragma warning disable CA1031 // Collected and rethrown together below.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                checks.Add(exception);
            }
        }

        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }

        if (checks.Count > 0)
        {
            throw checks.Count == 1 ? checks[0] : new AggregateException(checks);
        }
    }

    /// <summary>
    /// Runs after every test, for every cache it created: a backend whose failures can pass for misses (recovery on)
    /// asserts here that none happened, so a test that only checks for a miss cannot pass on a failure.
    /// </summary>
    protected virtual void AssertNoHiddenFailure(CacheMechanism cache)
    {
    }

    /// <summary>Waits (really) until <paramref name="condition"/> holds; fails after ten seconds.</summary>
    protected static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(5);
        }
    }

    [Fact]
    public void WhenValueIsSetGetReturnsIt()
    {
        var cache = CreateCache();

        Assert.True(cache.Set("key1", "value1", TimeSpan.FromHours(1), "tenant_123"));

        Assert.Equal("value1", cache.Get<string>("key1", "tenant_123"));
        Assert.True(cache.TryGet<string>("key1", out var value, "tenant_123"));
        Assert.Equal("value1", value);
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenKeyIsMissingGetReturnsTheDefaultValue(CallStyle style)
    {
        var calls = new CacheCalls(CreateCache(), style);

        Assert.Null(await calls.GetAsync<string>("missing"));
        Assert.Equal("fallback", await calls.GetAsync("missing", "t", "fallback"));
        Assert.Equal(0, await calls.GetAsync<int>("missing", "t"));
        Assert.Equal(-7, await calls.GetAsync("missing", null, -7));
    }

    [Fact]
    public void WhenKeyIsMissingTryGetReturnsFalseAndDefault()
    {
        var cache = CreateCache();

        Assert.False(cache.TryGet<string>("missing", out var text, "t"));
        Assert.Null(text);
        Assert.False(cache.TryGet<int>("missing", out var number));
        Assert.Equal(0, number);
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenValuesOfEveryKindAreSetTheyComeBackEqual(CallStyle style)
    {
        var calls = new CacheCalls(CreateCache(), style);
        var bytes = new byte[] { 0, 1, 2, 254, 255 };
        var customer = new Customer(42, "Ada", ["admin", "ops"]);

        Assert.True(await calls.SetAsync("text", "héllo wörld ✓", tenantId: "t"));
        Assert.True(await calls.SetAsync("number", 123_456, tenantId: "t"));
        Assert.True(await calls.SetAsync("big", long.MaxValue, tenantId: "t"));
        Assert.True(await calls.SetAsync("bytes", bytes, tenantId: "t"));
        Assert.True(await calls.SetAsync("empty-bytes", Array.Empty<byte>(), tenantId: "t"));
        Assert.True(await calls.SetAsync("record", customer, tenantId: "t"));
        Assert.True(await calls.SetAsync("empty-text", string.Empty, tenantId: "t"));

        Assert.Equal("héllo wörld ✓", await calls.GetAsync<string>("text", "t"));
        Assert.Equal(123_456, await calls.GetAsync<int>("number", "t"));
        Assert.Equal(long.MaxValue, await calls.GetAsync<long>("big", "t"));
        Assert.Equal(bytes, await calls.GetAsync<byte[]>("bytes", "t"));
        Assert.Equal(Array.Empty<byte>(), await calls.GetAsync<byte[]>("empty-bytes", "t"));
        var back = await calls.GetAsync<Customer>("record", "t");
        Assert.NotNull(back);
        Assert.Equal(customer.Id, back.Id);
        Assert.Equal(customer.Name, back.Name);
        Assert.Equal(customer.Roles, back.Roles);
        Assert.Equal(string.Empty, await calls.GetAsync("empty-text", "t", "default"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenNullIsSetItIsCachedAndReadBackAsAHit(CallStyle style)
    {
        var cache = CreateCache();
        var calls = new CacheCalls(cache, style);

        Assert.True(await calls.SetAsync<string?>("nothing", null, tenantId: "t"));

        Assert.True(cache.TryGet<string?>("nothing", out var value, "t"));
        Assert.Null(value);
        Assert.Null(await calls.GetAsync("nothing", "t", "default"));
        var stats = await calls.GetStatsAsync("t");
        Assert.Equal(2, stats.Hits);
        Assert.Equal(0, stats.Misses);
        Assert.Equal(1, stats.Size);
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenKeyIsSetAgainTheNewValueReplacesTheOld(CallStyle style)
    {
        var cache = CreateCache();
        var calls = new CacheCalls(cache, style);

        await calls.SetAsync("key", "first", tenantId: "t");
        await calls.SetAsync("key", "second", tenantId: "t");

        Assert.Equal("second", await calls.GetAsync<string>("key", "t"));
        Assert.Equal(1, (await cache.GetUsageAsync("t")).Size);
        Assert.Equal(2, cache.GetStats("t").Sets);
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenKeyIsDeletedDeleteReturnsTrueOnceAndGetMisses(CallStyle style)
    {
        var cache = CreateCache();
        var calls = new CacheCalls(cache, style);
        await calls.SetAsync("key", "value", tenantId: "t");
        await calls.SetAsync("other", "value", tenantId: "t");

        Assert.True(await calls.DeleteAsync("key", "t"));
        Assert.False(await calls.DeleteAsync("key", "t"));
        Assert.False(await calls.DeleteAsync("never-set", "t"));

        Assert.False(cache.TryGet<string>("key", out _, "t"));
        Assert.Equal("value", cache.Get<string>("other", "t"));
        Assert.Equal(1, (await cache.GetUsageAsync("t")).Size);
    }

    [Fact]
    public void WhenKeyIsDeletedInOneNamespaceTheSameKeyElsewhereStays()
    {
        var cache = CreateCache();
        cache.Set("key", "global");
        cache.Set("key", "one", tenantId: "t1");
        cache.Set("key", "two", tenantId: "t2");

        Assert.True(cache.Delete("key", "t1"));

        Assert.False(cache.TryGet<string>("key", out _, "t1"));
        Assert.Equal("global", cache.Get<string>("key"));
        Assert.Equal("two", cache.Get<string>("key", "t2"));
        Assert.True(cache.Delete("key"));
        Assert.Equal("two", cache.Get<string>("key", "t2"));
    }

    [Fact]
    public void WhenTenantIsNullTheGlobalNamespaceIsSeparateFromEveryTenant()
    {
        var cache = CreateCache();

        cache.Set("key", "global");
        cache.Set("key", "tenant", tenantId: "t");

        Assert.Equal("global", cache.Get<string>("key"));
        Assert.Equal("global", cache.Get<string>("key", tenantId: null));
        Assert.Equal("tenant", cache.Get<string>("key", "t"));
        Assert.Null(cache.Get<string>("key", "other"));
    }

    [Theory]
    [InlineData("a", "b:c", "a:b", "c")]
    [InlineData("a*", "b", "a", "*b")]
    [InlineData("{t}", "k", "{t", "}k")]
    [InlineData("t[1]", "k", "t", "[1]k")]
    [InlineData("t?", "k", "t", "?k")]
    [InlineData("t\\", "k", "t", "\\k")]
    [InlineData("a", "b/c", "a/b", "c")]
    [InlineData("a", "::b", "a:", ":b")]
    [InlineData("x", "y", "x:y", "z")]
    [InlineData("mc:", "k", "mc", ":k")]
    public async Task WhenTenantAndKeyCharactersCouldCollideTheEntriesStayApart(string tenant1, string key1, string tenant2, string key2)
    {
        var cache = CreateCache();

        cache.Set(key1, "first", tenantId: tenant1);
        cache.Set(key2, "second", tenantId: tenant2);

        Assert.Equal("first", cache.Get<string>(key1, tenant1));
        Assert.Equal("second", cache.Get<string>(key2, tenant2));
        Assert.Null(cache.Get<string>(key2, tenant1));
        Assert.Null(cache.Get<string>(key1, tenant2));
        Assert.Equal(1, (await cache.GetUsageAsync(tenant1)).Size);
        Assert.Equal(1, (await cache.GetUsageAsync(tenant2)).Size);
    }

    [Theory]
    [InlineData("t:k")]
    [InlineData(":k")]
    [InlineData("*")]
    [InlineData("{t}k")]
    public void WhenGlobalKeyLooksLikeTenantAndKeyItStaysGlobal(string globalKey)
    {
        var cache = CreateCache();

        cache.Set(globalKey, "global");
        cache.Set("k", "tenant", tenantId: "t");

        Assert.Equal("global", cache.Get<string>(globalKey));
        Assert.Equal("tenant", cache.Get<string>("k", "t"));
        Assert.Null(cache.Get<string>(globalKey, "t"));
        Assert.Null(cache.Get<string>("k"));
    }

    [Fact]
    public async Task WhenKeysAndTenantsHoldUnusualCharactersTheyAreStoredVerbatim()
    {
        var cache = CreateCache();
        string[] keys = ["with space", "tab\there", "ünïcødé ✓", "new\nline", "*?[]\\{}", "%2A", "k\0nul"];
        string[] tenants = ["tenant with space", "ünïcødé", "*", "[", "{x}", "%", "a\\b"];

        foreach (var tenant in tenants)
        {
            foreach (var key in keys)
            {
                Assert.True(cache.Set(key, tenant + "|" + key, tenantId: tenant));
            }
        }

        foreach (var tenant in tenants)
        {
            foreach (var key in keys)
            {
                Assert.Equal(tenant + "|" + key, cache.Get<string>(key, tenant));
            }

            Assert.Equal(keys.Length, (await cache.GetUsageAsync(tenant)).Size);
        }
    }

    [Fact]
    public void WhenKeyAndTenantAreAtTheirLengthLimitsTheyAreAccepted()
    {
        var cache = CreateCache(c => c.MaxKeyLength = 64);
        var key = new string('k', 64);
        var tenant = new string('t', CacheConfig.MaxTenantIdLength);

        Assert.True(cache.Set(key, "value", tenantId: tenant));

        Assert.Equal("value", cache.Get<string>(key, tenant));
    }
}
