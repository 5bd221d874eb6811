using Motadata.Cache.AI;

namespace Motadata.Cache.AI.Tests.Integrations;

public sealed class RagCachingTests : IAsyncLifetime
{
    private readonly CacheMechanism _cache = CacheMechanism.CreateMemory();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cache.DisposeAsync();

    private sealed record Retrieval(int TopK, string? Filter = null);

    [Fact]
    public void WhenQueryParametersAndVersionAreTheSameTheKeyIsTheSame()
    {
        var key = RagCacheKeys.QueryKey("docs", "v1", "How do I  reset\tmy password? ", new Retrieval(5));

        Assert.Equal(key, RagCacheKeys.QueryKey("docs", "v1", "How do I reset my password?", new Retrieval(5)));
        Assert.StartsWith("rag:docs:v1:", key, StringComparison.Ordinal);
        Assert.NotEqual(key, RagCacheKeys.QueryKey("docs", "v1", "How do I reset my password?", new Retrieval(10)));
        Assert.NotEqual(key, RagCacheKeys.QueryKey("docs", "v1", "How do I reset my password?", new Retrieval(5, "lang:en")));
        Assert.NotEqual(key, RagCacheKeys.QueryKey("docs", "v2", "How do I reset my password?", new Retrieval(5)));
        Assert.NotEqual(key, RagCacheKeys.QueryKey("kb", "v1", "How do I reset my password?", new Retrieval(5)));
        Assert.NotEqual(key, RagCacheKeys.QueryKey("docs", "v1", "how do i reset my password?", new Retrieval(5)));
        Assert.Equal(
            RagCacheKeys.QueryKey("docs", "v1", "HOW do I reset my password?", new Retrieval(5), ignoreCase: true),
            RagCacheKeys.QueryKey("docs", "v1", "how do i reset my password?", new Retrieval(5), ignoreCase: true));
    }

    [Fact]
    public void WhenANameHoldsTheSeparatorTheKeyHelperSaysSo()
    {
        var error = Assert.Throws<ArgumentException>(() => RagCacheKeys.QueryKey("do:cs", "v1", "q"));

        Assert.Equal("indexName", error.ParamName);
        Assert.Contains("do:cs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenTheSameQueryIsAskedAgainTheSearchRunsOnce()
    {
        var rag = new RagQueryCache(_cache, "docs", "v1", tenantId: "t");
        var searches = 0;
        ValueTask<string[]> Search(CancellationToken _) { searches++; return ValueTask.FromResult(new[] { "chunk-1", "chunk-2" }); }

        var first = await rag.GetOrSearchAsync("reset password", new Retrieval(2), Search);
        var second = await rag.GetOrSearchAsync("  reset   password ", new Retrieval(2), Search);

        Assert.Equal(1, searches);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task WhenTheIndexVersionChangesOldResultsAreRemovedAndTheSearchRunsAgain()
    {
        var rag = new RagQueryCache(_cache, "docs", "v1", tenantId: "t");
        var other = new RagQueryCache(_cache, "kb", "v1", tenantId: "t");
        var searches = 0;
        ValueTask<string> Search(CancellationToken _) => ValueTask.FromResult($"result {++searches}");
        await rag.GetOrSearchAsync("q1", null, Search);
        await rag.GetOrSearchAsync("q2", null, Search);
        await other.GetOrSearchAsync("q1", null, Search);

        var removed = await rag.ChangeIndexVersionAsync("v2");
        var fresh = await rag.GetOrSearchAsync("q1", null, Search);

        Assert.Equal(2, removed);
        Assert.Equal("v2", rag.IndexVersion);
        Assert.Equal("result 4", fresh);
        Assert.Equal("result 3", await other.GetOrSearchAsync("q1", null, Search));
    }

    [Fact]
    public async Task WhenTheIndexIsInvalidatedEveryVersionOfItGoesButOnlyForThatTenant()
    {
        var mine = new RagQueryCache(_cache, "docs", "v1", tenantId: "a");
        var theirs = new RagQueryCache(_cache, "docs", "v1", tenantId: "b");
        await mine.GetOrSearchAsync("q", null, _ => ValueTask.FromResult(1));
        await theirs.GetOrSearchAsync("q", null, _ => ValueTask.FromResult(2));

        Assert.Equal(1, await mine.InvalidateAsync());

        Assert.Equal(3, await mine.GetOrSearchAsync("q", null, _ => ValueTask.FromResult(3)));
        Assert.Equal(2, await theirs.GetOrSearchAsync("q", null, _ => ValueTask.FromResult(4)));
    }

    [Fact]
    public void WhenTheIndexNameHoldsGlobCharactersThePatternEscapesThem()
    {
        Assert.Equal(@"rag:docs\*:*", RagCacheKeys.IndexPattern("docs*"));
        Assert.Equal(@"rag:docs:v\[1\]:*", RagCacheKeys.VersionPattern("docs", "v[1]"));
    }
}
