namespace Motadata.Cache.Tests.Contract;

public abstract partial class CacheContractTests
{
    private const int SmallMaxKeyLength = 16;

    /// <summary>Every public call that takes a key, by name.</summary>
    public static TheoryData<string> KeyedOperations() =>
        ["Get", "TryGet", "GetAsync", "Set", "SetAsync", "Delete", "DeleteAsync", "GetOrSetAsync"];

    /// <summary>Every public call that takes a tenant id, by name.</summary>
    public static TheoryData<string> TenantOperations()
    {
        var data = KeyedOperations();
        foreach (var name in new[] { "Invalidate", "InvalidateAsync", "Clear", "ClearAsync", "GetStats", "GetStatsAsync", "WarmCache", "WarmCacheAsync", "GetManyAsync" })
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KeyedOperations))]
    public async Task WhenKeyIsNullTheCallThrowsArgumentNullExceptionAndChangesNothing(string operation)
    {
        var cache = CreateBadInputCache();
        var before = Snapshot(cache);

        var exception = await Assert.ThrowsAsync<ArgumentNullException>(() => CallAsync(cache, operation, key: null!, tenantId: "t"));

        Assert.Equal("key", exception.ParamName);
        AssertUnchanged(cache, before);
    }

    [Theory]
    [MemberData(nameof(KeyedOperations))]
    public async Task WhenKeyIsEmptyTheCallThrowsArgumentExceptionAndChangesNothing(string operation)
    {
        var cache = CreateBadInputCache();
        var before = Snapshot(cache);

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => CallAsync(cache, operation, key: string.Empty, tenantId: "t"));

        Assert.Equal("key", exception.ParamName);
        Assert.Contains("empty", exception.Message, StringComparison.OrdinalIgnoreCase);
        AssertUnchanged(cache, before);
    }

    [Theory]
    [MemberData(nameof(KeyedOperations))]
    public async Task WhenKeyIsLongerThanMaxKeyLengthTheCallThrowsArgumentExceptionAndChangesNothing(string operation)
    {
        var cache = CreateBadInputCache();
        var before = Snapshot(cache);

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => CallAsync(cache, operation, key: new string('k', SmallMaxKeyLength + 1), tenantId: "t"));

        Assert.Equal("key", exception.ParamName);
        Assert.Contains($"{SmallMaxKeyLength + 1}", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"{SmallMaxKeyLength}", exception.Message, StringComparison.Ordinal);
        AssertUnchanged(cache, before);
    }

    [Theory]
    [MemberData(nameof(TenantOperations))]
    public async Task WhenTenantIdIsEmptyTheCallThrowsArgumentExceptionAndChangesNothing(string operation)
    {
        var cache = CreateBadInputCache();
        var before = Snapshot(cache);

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => CallAsync(cache, operation, key: "existing", tenantId: string.Empty));

        Assert.Equal("tenantId", exception.ParamName);
        Assert.Contains("null", exception.Message, StringComparison.Ordinal);
        AssertUnchanged(cache, before);
    }

    [Theory]
    [MemberData(nameof(TenantOperations))]
    public async Task WhenTenantIdIsLongerThan256CharactersTheCallThrowsArgumentExceptionAndChangesNothing(string operation)
    {
        var cache = CreateBadInputCache();
        var before = Snapshot(cache);

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => CallAsync(cache, operation, key: "existing", tenantId: new string('t', 257)));

        Assert.Equal("tenantId", exception.ParamName);
        Assert.Contains("257", exception.Message, StringComparison.Ordinal);
        Assert.Contains("256", exception.Message, StringComparison.Ordinal);
        AssertUnchanged(cache, before);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("*****************")]
    public async Task WhenPatternIsNullEmptyOrTooLongInvalidateThrowsArgumentExceptionAndRemovesNothing(string? pattern)
    {
        var cache = CreateBadInputCache();
        var before = Snapshot(cache);

        var sync = Assert.ThrowsAny<ArgumentException>(() => cache.Invalidate(pattern!, "t"));
        var async = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cache.InvalidateAsync(pattern!, "t"));

        Assert.Equal("pattern", sync.ParamName);
        Assert.Equal("pattern", async.ParamName);
        Assert.Equal(pattern is null, sync is ArgumentNullException);
        Assert.Contains(pattern?.Length > SmallMaxKeyLength ? $"{SmallMaxKeyLength}" : "\"*\"", sync.Message, StringComparison.Ordinal);
        AssertUnchanged(cache, before);
    }

    [Fact]
    public async Task WhenWarmEntriesAreNullWarmCacheThrowsArgumentNullException()
    {
        var cache = CreateBadInputCache();
        var before = Snapshot(cache);

        Assert.Equal("keysAndValues", Assert.Throws<ArgumentNullException>(() => cache.WarmCache<string>(null!, tenantId: "t")).ParamName);
        Assert.Equal("keysAndValues", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.WarmCacheAsync<string>(null!, tenantId: "t"))).ParamName);

        AssertUnchanged(cache, before);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("kkkkkkkkkkkkkkkkk")]
    public async Task WhenOneWarmEntryHasABadKeyWarmCacheThrowsAndStoresNothing(string? badKey)
    {
        var cache = CreateBadInputCache();
        var before = Snapshot(cache);
        var pairs = new List<KeyValuePair<string, string>>
        {
            new("first", "v"),
            new("existing", "changed"),
            new(badKey!, "v"),
            new("last", "v"),
        };

        var sync = Assert.ThrowsAny<ArgumentException>(() => cache.WarmCache(pairs, tenantId: "t"));
        var async = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cache.WarmCacheAsync(pairs, tenantId: "t"));

        Assert.Equal("keysAndValues", sync.ParamName);
        Assert.Equal("keysAndValues", async.ParamName);
        Assert.Contains("Entry 2", sync.Message, StringComparison.Ordinal);
        AssertUnchanged(cache, before);
        Assert.False(cache.TryGet<string>("first", out _, "t"));
        Assert.False(cache.TryGet<string>("last", out _, "t"));
    }

    [Fact]
    public async Task WhenGetManyIsGivenNullOrABadKeyItThrowsAndCountsNothing()
    {
        var cache = CreateBadInputCache();
        var before = Snapshot(cache);

        Assert.Equal("keys", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.GetManyAsync<string>(null!, "t"))).ParamName);
        Assert.Equal("keys", (await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cache.GetManyAsync<string>(["existing", null!], "t"))).ParamName);
        Assert.Equal("keys", (await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cache.GetManyAsync<string>(["existing", string.Empty], "t"))).ParamName);
        Assert.Equal("keys", (await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cache.GetManyAsync<string>(["existing", new string('k', SmallMaxKeyLength + 1)], "t"))).ParamName);

        AssertUnchanged(cache, before);
    }

    [Fact]
    public async Task WhenGetOrSetIsGivenNoFactoryItThrowsArgumentNullException()
    {
        var cache = CreateBadInputCache();
        var before = Snapshot(cache);

        var exception = await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.GetOrSetAsync<string>("new", null!, tenantId: "t"));

        Assert.Equal("factory", exception.ParamName);
        AssertUnchanged(cache, before);
    }

    [Fact]
    public void WhenConfigIsNullTheConstructorThrowsArgumentNullException()
    {
        Assert.Equal("config", Assert.Throws<ArgumentNullException>(() => new CacheMechanism(null!)).ParamName);
    }

    private CacheMechanism CreateBadInputCache()
    {
        var cache = CreateCache(c => c.MaxKeyLength = SmallMaxKeyLength);
        cache.Set("existing", "original", tenantId: "t");
        cache.Set("existing", "original");
        return cache;
    }

    private static (long Hits, long Misses, long Sets, long Size, long TenantSize) Snapshot(CacheMechanism cache)
    {
        // GetUsageAsync completes at once on the memory backend and walks a loopback server otherwise; blocking is harmless here.
        var all = cache.GetStats();
        var usage = cache.GetUsageAsync().AsTask().GetAwaiter().GetResult();
        return (all.Hits, all.Misses, all.Sets, usage.Size, cache.GetUsageAsync("t").AsTask().GetAwaiter().GetResult().Size);
    }

    private static void AssertUnchanged(CacheMechanism cache, (long Hits, long Misses, long Sets, long Size, long TenantSize) before)
    {
        Assert.Equal(before, Snapshot(cache));
        Assert.Equal("original", cache.Get<string>("existing", "t"));
        Assert.Equal("original", cache.Get<string>("existing"));
    }

    /// <summary>Calls <paramref name="operation"/> with the given key and tenant and valid everything else.</summary>
    private static async Task CallAsync(CacheMechanism cache, string operation, string key, string? tenantId)
    {
        switch (operation)
        {
            case "Get": cache.Get<string>(key, tenantId); break;
            case "TryGet": cache.TryGet<string>(key, out _, tenantId); break;
            case "GetAsync": await cache.GetAsync<string>(key, tenantId); break;
            case "Set": cache.Set(key, "changed", LongTtl, tenantId); break;
            case "SetAsync": await cache.SetAsync(key, "changed", LongTtl, tenantId); break;
            case "Delete": cache.Delete(key, tenantId); break;
            case "DeleteAsync": await cache.DeleteAsync(key, tenantId); break;
            case "GetOrSetAsync": await cache.GetOrSetAsync(key, _ => ValueTask.FromResult("changed"), LongTtl, tenantId); break;
            case "Invalidate": cache.Invalidate("*", tenantId); break;
            case "InvalidateAsync": await cache.InvalidateAsync("*", tenantId); break;
            case "Clear": cache.Clear(tenantId); break;
            case "ClearAsync": await cache.ClearAsync(tenantId); break;
            case "GetStats": cache.GetStats(tenantId); break;
            case "GetStatsAsync": await cache.GetStatsAsync(tenantId); break;
            case "WarmCache": cache.WarmCache(new Dictionary<string, string> { [key] = "changed" }, tenantId: tenantId); break;
            case "WarmCacheAsync": await cache.WarmCacheAsync(new Dictionary<string, string> { [key] = "changed" }, tenantId: tenantId); break;
            case "GetManyAsync": await cache.GetManyAsync<string>([key], tenantId); break;
            default: throw new ArgumentOutOfRangeException(nameof(operation), operation, "unknown operation");
        }
    }
}
