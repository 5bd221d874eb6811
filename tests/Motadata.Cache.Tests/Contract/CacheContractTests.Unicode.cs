namespace Motadata.Cache.Tests.Contract;

/// <summary>
/// Keys and tenant ids must be well-formed Unicode: a lone surrogate has no UTF-8 form, so on a server two different
/// keys (or tenants) would become one. Both backends refuse them alike, and accept every whole character.
/// </summary>
public abstract partial class CacheContractTests
{
    // Built in code: attribute arguments cannot carry a lone surrogate.
    private static readonly string KeyWithLoneHighSurrogate = "a" + '\uD800' + "b";
    private static readonly string TenantWithLoneLowSurrogate = "t" + '\uDC00';

    [Theory]
    [MemberData(nameof(KeyedOperations))]
    public async Task WhenKeyHoldsALoneSurrogateTheCallThrowsArgumentExceptionAndChangesNothing(string operation)
    {
        var cache = CreateBadInputCache();
        var before = Snapshot(cache);

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => CallAsync(cache, operation, key: KeyWithLoneHighSurrogate, tenantId: "t"));

        Assert.Equal("key", exception.ParamName);
        Assert.Contains("surrogate", exception.Message, StringComparison.Ordinal);
        AssertUnchanged(cache, before);
    }

    [Theory]
    [MemberData(nameof(TenantOperations))]
    public async Task WhenTenantIdHoldsALoneSurrogateTheCallThrowsArgumentExceptionAndChangesNothing(string operation)
    {
        var cache = CreateBadInputCache();
        var before = Snapshot(cache);

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => CallAsync(cache, operation, key: "existing", tenantId: TenantWithLoneLowSurrogate));

        Assert.Equal("tenantId", exception.ParamName);
        Assert.Contains("surrogate", exception.Message, StringComparison.Ordinal);
        AssertUnchanged(cache, before);
    }

    [Fact]
    public async Task WhenABatchHoldsAKeyWithALoneSurrogateWarmAndGetManyThrowAndChangeNothing()
    {
        var cache = CreateBadInputCache();
        var before = Snapshot(cache);
        var pairs = new List<KeyValuePair<string, string>> { new("first", "v"), new(KeyWithLoneHighSurrogate, "v") };

        var warm = Assert.ThrowsAny<ArgumentException>(() => cache.WarmCache(pairs, tenantId: "t"));
        var getMany = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cache.GetManyAsync<string>(["existing", KeyWithLoneHighSurrogate], "t"));

        Assert.Equal("keysAndValues", warm.ParamName);
        Assert.Contains("Entry 1", warm.Message, StringComparison.Ordinal);
        Assert.Contains("surrogate", warm.Message, StringComparison.Ordinal);
        Assert.Equal("keys", getMany.ParamName);
        Assert.Contains("surrogate", getMany.Message, StringComparison.Ordinal);
        AssertUnchanged(cache, before);
        Assert.False(cache.TryGet<string>("first", out _, "t"));
    }

    [Fact]
    public void WhenKeysAndTenantsHoldWholeCharactersOutsideTheBasicPlaneTheyWorkAndStayApart()
    {
        var cache = CreateCache();
        const string emoji = "\U0001F600";

        Assert.True(cache.Set("key" + emoji, "smile", tenantId: "tenant" + emoji));
        Assert.True(cache.Set("key\uFFFD", "replacement", tenantId: "tenant" + emoji));
        Assert.True(cache.Set("key" + emoji, "other tenant", tenantId: "tenant\uFFFD"));

        Assert.Equal("smile", cache.Get<string>("key" + emoji, "tenant" + emoji));
        Assert.Equal("replacement", cache.Get<string>("key\uFFFD", "tenant" + emoji));
        Assert.Equal("other tenant", cache.Get<string>("key" + emoji, "tenant\uFFFD"));
    }
}
