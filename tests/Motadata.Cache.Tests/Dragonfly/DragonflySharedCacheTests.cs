using StackExchange.Redis;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// What the Dragonfly backend adds to the contract: a cache shared by several instances, the key layout on the
/// server, and keys of other applications on the same server left alone.
/// </summary>
public sealed class DragonflySharedCacheTests : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly RedisServerFixture _fixture;
    private readonly string _prefix = RedisServerFixture.UniquePrefix("shared");
    private readonly List<CacheMechanism> _caches = [];

    public DragonflySharedCacheTests(RedisServerFixture fixture) => _fixture = fixture;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }
    }

    [Fact]
    public void WhenOneInstanceSetsAValueAnotherInstanceReadsIt()
    {
        var first = CreateCache();
        var second = CreateCache();

        first.Set("user_42", new Person("Ada", 36, ["admin"]), tenantId: "tenant_123");

        var read = second.Get<Person>("user_42", "tenant_123");
        Assert.NotNull(read);
        Assert.Equal("Ada", read.Name);
        Assert.Equal(36, read.Age);
        Assert.Equal(["admin"], read.Tags);
    }

    [Fact]
    public async Task WhenOneInstanceInvalidatesAnotherInstanceMisses()
    {
        var first = CreateCache();
        var second = CreateCache();
        await first.SetAsync("user_1", "a", tenantId: "t");
        await first.SetAsync("user_2", "b", tenantId: "t");
        await first.SetAsync("order_1", "c", tenantId: "t");

        Assert.Equal(2, await second.InvalidateAsync("user_*", "t"));

        Assert.Null(await first.GetAsync<string>("user_1", "t"));
        Assert.Null(await first.GetAsync<string>("user_2", "t"));
        Assert.Equal("c", await first.GetAsync<string>("order_1", "t"));
    }

    [Fact]
    public void WhenOneInstanceClearsATenantAnotherInstanceMissesOnlyThatTenant()
    {
        var first = CreateCache();
        var second = CreateCache();
        first.Set("k", "a", tenantId: "t1");
        first.Set("k", "b", tenantId: "t2");
        first.Set("k", "global");

        Assert.Equal(1, second.Clear("t1"));

        Assert.Null(first.Get<string>("k", "t1"));
        Assert.Equal("b", first.Get<string>("k", "t2"));
        Assert.Equal("global", first.Get<string>("k"));
    }

    [Fact]
    public void KeysOnTheServerStartWithThePrefixAndEndWithTheCallersKeyVerbatim()
    {
        var cache = CreateCache();
        cache.Set("user_42", "v", tenantId: "tenant_123");
        cache.Set("a:b*c", "v");

        Assert.True(_fixture.Raw.KeyExists(_prefix + "t:10:tenant_123:user_42"));
        Assert.True(_fixture.Raw.KeyExists(_prefix + "g:a:b*c"));
    }

    [Fact]
    public async Task WhenAnotherCachesPrefixExtendsThisOnesClearEverythingLeavesItsKeysAlone()
    {
        // Two caches on one server, one prefix inside the other ("app:" and "app:reports:"): Clear() with no tenant
        // removes "everything this cache owns", which is not the other cache's keys.
        var outer = CreateCache();
        var inner = CreateCache(c => c.KeyPrefix = _prefix + "reports:");
        inner.Set("k", "inner's", tenantId: "t");
        inner.Set("k", "inner's");
        outer.Set("k", "outer's", tenantId: "t");

        Assert.Equal(2, (await inner.GetUsageAsync()).Size);
        Assert.Equal(1, (await outer.GetStatsAsync()).Size);

        Assert.Equal(1, await outer.ClearAsync());
        Assert.Equal(0, (await outer.GetUsageAsync()).Size);

        Assert.Equal("inner's", inner.Get<string>("k", "t"));
        Assert.Equal("inner's", inner.Get<string>("k"));
        Assert.Equal(2, (await inner.GetUsageAsync()).Size);
    }

    [Fact]
    public async Task ClearLeavesKeysOfOtherApplicationsUntouched()
    {
        var cache = CreateCache();
        var others = OtherApplicationKeys();
        foreach (var key in others)
        {
            await _fixture.Raw.StringSetAsync(key, "theirs");
        }

        cache.Set("k1", "v", tenantId: "t");
        cache.Set("k2", "v");

        Assert.Equal(2, cache.Clear());

        Assert.Empty(await _fixture.KeysStartingWithAsync(_prefix));
        foreach (var key in others)
        {
            Assert.Equal("theirs", (string?)await _fixture.Raw.StringGetAsync(key));
        }
    }

    [Fact]
    public async Task InvalidateEverythingLeavesOtherTenantsAndOtherApplicationsUntouched()
    {
        var cache = CreateCache();
        var others = OtherApplicationKeys();
        foreach (var key in others)
        {
            await _fixture.Raw.StringSetAsync(key, "theirs");
        }

        cache.Set("k1", "v", tenantId: "t");
        cache.Set("k2", "v", tenantId: "t");
        cache.Set("k1", "v", tenantId: "t*");
        cache.Set("k1", "v");

        Assert.Equal(2, await cache.InvalidateAsync("*", "t"));

        Assert.Equal("v", cache.Get<string>("k1", "t*"));
        Assert.Equal("v", cache.Get<string>("k1"));
        foreach (var key in others)
        {
            Assert.Equal("theirs", (string?)await _fixture.Raw.StringGetAsync(key));
        }
    }

    [Fact]
    public async Task InvalidateOfTheGlobalNamespaceLeavesTenantsUntouched()
    {
        var cache = CreateCache();
        cache.Set("k", "global");
        cache.Set("k", "tenant", tenantId: "t");

        Assert.Equal(1, await cache.InvalidateAsync("*"));

        Assert.Null(cache.Get<string>("k"));
        Assert.Equal("tenant", cache.Get<string>("k", "t"));
    }

    [Fact]
    public async Task InvalidateAndClearCountExactlyTheKeysRemovedAcrossManyScanPages()
    {
        var cache = CreateCache();
        var entries = Enumerable.Range(0, 2_500).Select(i => KeyValuePair.Create($"user_{i}", i)).ToList();
        Assert.Equal(2_500, await cache.WarmCacheAsync(entries, tenantId: "t"));
        Assert.Equal(1_000, await cache.WarmCacheAsync(Enumerable.Range(0, 1_000).Select(i => KeyValuePair.Create($"order_{i}", i)), tenantId: "t"));

        Assert.Equal(2_500, await cache.InvalidateAsync("user_*", "t"));
        Assert.Equal(0, await cache.InvalidateAsync("user_*", "t"));
        Assert.Equal(1_000, cache.Invalidate("order_*", "t"));
        Assert.Empty(await _fixture.KeysStartingWithAsync(_prefix));
    }

    [Fact]
    public void InvalidateWithAnExactKeyRemovesOnlyThatKey()
    {
        var cache = CreateCache();
        cache.Set("a*", "star", tenantId: "t");
        cache.Set("ab", "plain", tenantId: "t");

        Assert.Equal(1, cache.Invalidate("a\\*", "t"));

        Assert.Null(cache.Get<string>("a*", "t"));
        Assert.Equal("plain", cache.Get<string>("ab", "t"));
    }

    [Fact]
    public async Task WarmCacheStoresEveryEntryInBatchesAndEveryInstanceSeesThem()
    {
        var writer = CreateCache();
        var reader = CreateCache();
        var entries = Enumerable.Range(0, 2_345).ToDictionary(i => $"k{i}", i => $"value {i}");

        Assert.Equal(2_345, writer.WarmCache(entries, tenantId: "t"));

        Assert.Equal("value 0", reader.Get<string>("k0", "t"));
        Assert.Equal("value 2344", await reader.GetAsync<string>("k2344", "t"));
        var hits = await reader.GetManyAsync<string>(entries.Keys, "t");
        Assert.Equal(2_345, hits.Count);
        Assert.Equal(2_345, writer.GetStats("t").Sets);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WarmCacheOfMoreEntriesThanTheWriteWindowHoldsStoresEachOneExactlyOnce(bool async)
    {
        // 12,345 entries are 13 batches, more than the 8 kept in flight, so batches are reused; every 1,000th value
        // is too large and is skipped.
        var cache = CreateCache(config => config.MaxValueBytes = 64);
        var entries = Enumerable.Range(0, 12_345)
            .Select(i => KeyValuePair.Create($"k{i}", i % 1_000 == 7 ? new string('x', 65) : $"v{i}"))
            .ToList();

        var stored = async ? await cache.WarmCacheAsync(entries, tenantId: "t") : cache.WarmCache(entries, tenantId: "t");

        Assert.Equal(12_345 - 13, stored);
        var stats = await cache.GetStatsAsync("t");
        Assert.Equal(12_345 - 13, stats.Size);
        Assert.Equal(13, stats.RejectedValues);
        Assert.Equal("v12344", cache.Get<string>("k12344", "t"));
        Assert.Null(cache.Get<string>("k1007", "t"));
    }

    [Fact]
    public async Task GetManyReturnsTheHitsAndCountsEachKey()
    {
        var cache = CreateCache();
        cache.Set("a", 1, tenantId: "t");
        cache.Set("c", 3, tenantId: "t");

        var hits = await cache.GetManyAsync<int>(["a", "b", "c"], "t");

        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["c"] = 3 }, hits);
        var stats = cache.GetStats("t");
        Assert.Equal(2, stats.Hits);
        Assert.Equal(1, stats.Misses);
    }

    [Fact]
    public async Task StatsMeasureSizeAndMemoryOnTheServerPerTenantAndOverall()
    {
        var cache = CreateCache();
        var other = CreateCache();
        cache.WarmCache(Enumerable.Range(0, 30).Select(i => KeyValuePair.Create($"k{i}", new string('x', 100))), tenantId: "t1");
        cache.WarmCache(Enumerable.Range(0, 12).Select(i => KeyValuePair.Create($"k{i}", "y")), tenantId: "t2");
        cache.Set("g", "z");
        await _fixture.Raw.StringSetAsync("not-ours-" + Guid.NewGuid(), "x");

        var t1 = await cache.GetStatsAsync("t1");
        var t2 = await cache.GetStatsAsync("t2");
        var all = await other.GetStatsAsync();

        Assert.Equal(30, t1.Size);
        Assert.Equal(12, t2.Size);
        Assert.Equal(43, all.Size);
        Assert.True(t1.MemoryUsage > 30 * 100, $"t1 holds {t1.MemoryUsage} bytes by MEMORY USAGE");
        Assert.True(t2.MemoryUsage > 0);
        Assert.True(all.MemoryUsage >= t1.MemoryUsage + t2.MemoryUsage);
    }

    [Fact]
    public async Task WhenTheSeedsShardingSettingsMeetOneServerTheServerShardsItselfAndTheCacheWorks()
    {
        // The seed's enable_sharding with its default shard_count: one server shards by itself (Dragonfly per core).
        var cache = CreateCache(config =>
        {
            config.EnableSharding = true;
            config.ShardCount = 16;
        });

        Assert.True(await cache.SetAsync("k", "v", TimeSpan.FromHours(1), "t"));

        Assert.Equal("v", await cache.GetAsync<string>("k", "t"));
        Assert.True(await _fixture.Raw.KeyExistsAsync(RedisServerFixture.ServerKey(_prefix, "t", "k")));
    }

    private string[] OtherApplicationKeys() =>
    [
        "unprefixed-" + Guid.NewGuid(),
        "other-app:" + _prefix + "g:k1",
        _prefix.TrimEnd(':') + "x:g:k1",
        _prefix[..^1],
    ];

    private CacheMechanism CreateCache(Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = _fixture.Server.Url,
            KeyPrefix = _prefix,

            // Failures surface as exceptions here (recovery would turn them into misses and hide them), and the
            // timeout is generous because the test machine is shared.
            EnableRecovery = false,
            OperationTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(config);
        var cache = new CacheMechanism(config);
        _caches.Add(cache);
        return cache;
    }
}
