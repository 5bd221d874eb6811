using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.AI;

namespace Motadata.Cache.AI.Tests.Integrations;

/// <summary>The per-request cache controls (<see cref="AICacheProperties"/>) of the chat and embedding caches, on every backend.</summary>
public abstract class ChatCacheControlsTests : CacheOwningTests
{
    /// <summary>Asserts that <paramref name="key"/> of <paramref name="tenant"/> is stored with a life of at most <paramref name="ttl"/> (and is there now).</summary>
    protected abstract Task AssertExpiresWithinAsync(CacheMechanism cache, FakeTimeProvider clock, string key, string tenant, TimeSpan ttl);

    private static ChatOptions With(params (string Name, object Value)[] controls)
    {
        var options = new ChatOptions { AdditionalProperties = new() { [AICacheProperties.TenantId] = "t" } };
        foreach (var (name, value) in controls)
        {
            options.AdditionalProperties[name] = value;
        }

        return options;
    }

    private (FakeChatClient Model, IChatClient Client, CacheMechanism Cache, FakeTimeProvider Clock, AICacheCounters Stats) Build()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var cache = CreateCache(c => c.TimeProvider = clock);
        var model = new FakeChatClient();
        var stats = new AICacheCounters();
        var client = new ChatClientBuilder(model).UseMotadataCache(cache, o => o.Statistics = stats).Build();
        return (model, client, cache, clock, stats);
    }

    /// <summary>A client whose tenant is fixed, so a plain request can carry no options at all.</summary>
    private (FakeChatClient Model, MotadataCachingChatClient Client, CacheMechanism Cache, FakeTimeProvider Clock) BuildFixedTenant()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var cache = CreateCache(c => c.TimeProvider = clock);
        var model = new FakeChatClient();
        return (model, new MotadataCachingChatClient(model, cache, new ChatCacheOptions { TenantId = "t" }), cache, clock);
    }

    private static ChatOptions Only(string name, object value) => new() { AdditionalProperties = new() { [name] = value } };

    [Fact]
    public async Task WhenOnlyNoCacheIsSetItRefreshesTheAnswerThatRequestsWithNullOrEmptyOptionsRead()
    {
        var (model, client, _, _) = BuildFixedTenant();
        await client.GetResponseAsync("q");

        var fresh = await client.GetResponseAsync("q", Only(AICacheProperties.NoCache, true));
        var withNull = await client.GetResponseAsync("q");
        var withEmpty = await client.GetResponseAsync("q", new ChatOptions());
        var withEmptyProperties = await client.GetResponseAsync("q", new ChatOptions { AdditionalProperties = [] });

        Assert.Equal(2, model.Calls);
        Assert.Equal("answer 2 to q", fresh.Text);
        Assert.Equal(["answer 2 to q", "answer 2 to q", "answer 2 to q"], new[] { withNull.Text, withEmpty.Text, withEmptyProperties.Text });
    }

    [Fact]
    public async Task WhenNoCacheIsNamedInAnotherCaseItRefreshesTheAnswerThatPlainRequestsRead()
    {
        var (model, client, _, _) = BuildFixedTenant();
        await client.GetResponseAsync("q");

        var fresh = await client.GetResponseAsync("q", Only("Motadata.Cache.NoCache", true));
        var plain = await client.GetResponseAsync("q");

        Assert.Equal(2, model.Calls);
        Assert.Equal("answer 2 to q", fresh.Text);
        Assert.Equal("answer 2 to q", plain.Text);
    }

    [Fact]
    public async Task WhenNoCacheIsAddedToFilledOptionsItRefreshesTheAnswerThoseOptionsRead()
    {
        var (model, client, _, _) = BuildFixedTenant();
        static ChatOptions Filled() => new() { Temperature = 0.1f, AdditionalProperties = new() { ["user"] = "u1" } };
        await client.GetResponseAsync("q", Filled());

        var refresh = Filled();
        refresh.AdditionalProperties![AICacheProperties.NoCache] = true;
        await client.GetResponseAsync("q", refresh);
        var after = await client.GetResponseAsync("q", Filled());

        Assert.Equal(2, model.Calls);
        Assert.Equal("answer 2 to q", after.Text);
    }

    [Fact]
    public async Task WhenOnlyATtlIsSetItAppliesToTheEntryThatRequestsWithoutOptionsRead()
    {
        var (model, client, cache, clock) = BuildFixedTenant();

        await client.GetResponseAsync("q", Only(AICacheProperties.Ttl, 30));
        var plain = await client.GetResponseAsync("q");

        Assert.Equal(1, model.Calls);
        Assert.Equal("answer 1 to q", plain.Text);
        await AssertExpiresWithinAsync(cache, clock, client.GetCacheKey([new ChatMessage(ChatRole.User, "q")]), "t", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task WhenOnlyAMaxAgeIsSetItJudgesTheEntryThatRequestsWithoutOptionsRead()
    {
        var (model, client, _, clock) = BuildFixedTenant();
        await client.GetResponseAsync("q");
        clock.Advance(TimeSpan.FromMinutes(10));

        var tooOld = await client.GetResponseAsync("q", Only(AICacheProperties.MaxAge, 300));
        var plain = await client.GetResponseAsync("q");

        Assert.Equal(2, model.Calls);
        Assert.Equal("answer 2 to q", tooOld.Text);
        Assert.Equal("answer 2 to q", plain.Text);
    }

    [Fact]
    public async Task WhenARequestSetsNoCacheTheModelAnswersAndTheFreshAnswerIsStored()
    {
        var (model, client, _, _, stats) = Build();
        await client.GetResponseAsync("q", With());

        var fresh = await client.GetResponseAsync("q", With((AICacheProperties.NoCache, true)));
        var after = await client.GetResponseAsync("q", With());

        Assert.Equal(2, model.Calls);
        Assert.Equal("answer 2 to q", fresh.Text);
        Assert.Equal("answer 2 to q", after.Text);
        var s = stats.GetStats("t");
        Assert.Equal((1L, 1L, 1L, 2L), (s.Hits, s.Misses, s.Bypassed, s.CallsMade));
    }

    [Fact]
    public async Task WhenARequestSetsNoStoreItReadsTheCacheButKeepsItsAnswerOut()
    {
        var (model, client, _, _, _) = Build();

        var notKept = await client.GetResponseAsync("q", With((AICacheProperties.NoStore, "true")));
        var second = await client.GetResponseAsync("q", With());
        var readOnly = await client.GetResponseAsync("q", With((AICacheProperties.NoStore, true)));

        Assert.Equal(2, model.Calls);
        Assert.Equal("answer 1 to q", notKept.Text);
        Assert.Equal("answer 2 to q", second.Text);
        Assert.Equal("answer 2 to q", readOnly.Text);
    }

    [Fact]
    public async Task WhenAStreamingRequestSetsNoStoreNothingIsReplayedLater()
    {
        var (model, client, _, _, _) = Build();

        await client.GetStreamingResponseAsync("s", With((AICacheProperties.NoStore, true))).ToListAsync();
        var second = await client.GetStreamingResponseAsync("s", With()).ToListAsync();

        Assert.Equal(2, model.Calls);
        Assert.Equal("streamed answer 2", string.Concat(second.Select(u => u.Text)));
    }

    [Fact]
    public async Task WhenTheCachedAnswerIsOlderThanTheRequestsMaxAgeTheModelAnswersAndTheNewAnswerIsServedAfter()
    {
        var (model, client, _, clock, _) = Build();
        await client.GetResponseAsync("q", With());
        clock.Advance(TimeSpan.FromMinutes(10));

        var tooOld = await client.GetResponseAsync("q", With((AICacheProperties.MaxAge, TimeSpan.FromMinutes(5))));
        clock.Advance(TimeSpan.FromMinutes(2));
        var youngEnough = await client.GetResponseAsync("q", With((AICacheProperties.MaxAge, 180)));
        var noLimit = await client.GetResponseAsync("q", With());

        Assert.Equal(2, model.Calls);
        Assert.Equal("answer 2 to q", tooOld.Text);
        Assert.Equal("answer 2 to q", youngEnough.Text);
        Assert.Equal("answer 2 to q", noLimit.Text);
    }

    [Fact]
    public async Task WhenARequestSetsATtlItsAnswerIsStoredForThatLong()
    {
        var (model, client, cache, clock, _) = Build();
        var options = With((AICacheProperties.Ttl, TimeSpan.FromSeconds(30)));

        await client.GetResponseAsync("q", options);

        var key = client.GetService<MotadataCachingChatClient>()!.GetCacheKey([new ChatMessage(ChatRole.User, "q")], options);
        await AssertExpiresWithinAsync(cache, clock, key, "t", TimeSpan.FromSeconds(30));
        Assert.Equal(1, model.Calls);
    }

    [Fact]
    public async Task WhenRequestsNameNamespacesEachNamespaceKeepsItsOwnAnswers()
    {
        var (model, client, cache, _, _) = Build();

        var a1 = await client.GetResponseAsync("q", With((AICacheProperties.Namespace, "support")));
        var b1 = await client.GetResponseAsync("q", With((AICacheProperties.Namespace, "sales")));
        var a2 = await client.GetResponseAsync("q", With((AICacheProperties.Namespace, "support")));

        Assert.Equal(2, model.Calls);
        Assert.Equal(a1.Text, a2.Text);
        Assert.NotEqual(a1.Text, b1.Text);
        var key = client.GetService<MotadataCachingChatClient>()!.GetCacheKey([new ChatMessage(ChatRole.User, "q")], With((AICacheProperties.Namespace, "support")));
        Assert.StartsWith("chat:support:", key, StringComparison.Ordinal);
        Assert.Equal(1, await cache.InvalidateAsync("chat:support:*", "t"));
        await client.GetResponseAsync("q", With((AICacheProperties.Namespace, "sales")));
        Assert.Equal(2, model.Calls);
    }

    [Theory]
    [InlineData(AICacheProperties.NoCache, "yes")]
    [InlineData(AICacheProperties.NoStore, 1)]
    [InlineData(AICacheProperties.Ttl, "soon")]
    [InlineData(AICacheProperties.Ttl, 0)]
    [InlineData(AICacheProperties.MaxAge, -5)]
    [InlineData(AICacheProperties.Namespace, 42)]
    [InlineData(AICacheProperties.Namespace, "a:b")]
    public async Task WhenAControlHasTheWrongTypeOrValueTheRequestFailsNamingItAndNothingIsCalled(string name, object value)
    {
        var (model, client, cache, _, _) = Build();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync("q", With((name, value))));

        Assert.Equal(name, error.ParamName);
        Assert.Contains($"ChatOptions.AdditionalProperties[\"{name}\"]", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Calls);
        Assert.Equal(0, cache.Clear("t"));
    }

    [Fact]
    public async Task WhenAnEmbeddingCallSetsNoCacheOrNoStoreTheModelIsCalledAndStorageFollows()
    {
        var model = new FakeEmbeddingGenerator();
        var cache = CreateCache();
        var generator = new MotadataCachingEmbeddingGenerator(model, cache, new EmbeddingCacheOptions { TenantId = "t" });
        var noStore = new EmbeddingGenerationOptions { AdditionalProperties = new() { [AICacheProperties.NoStore] = true } };
        var noCache = new EmbeddingGenerationOptions { AdditionalProperties = new() { [AICacheProperties.NoCache] = true } };

        await generator.GenerateAsync(["a"], noStore);
        Assert.False(cache.TryGet<byte[]>(generator.GetCacheKey("a"), out _, "t"));
        await generator.GenerateAsync(["a"]);
        await generator.GenerateAsync(["a"], noCache);
        await generator.GenerateAsync(["a"], noStore);

        Assert.Equal(3, model.Batches.Count);
        Assert.True(cache.TryGet<byte[]>(generator.GetCacheKey("a"), out _, "t"));
    }

    [Fact]
    public async Task WhenAnEmbeddingCallNamesANamespaceAndTtlItsVectorsAreKeptApartForThatLong()
    {
        var model = new FakeEmbeddingGenerator();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var cache = CreateCache(c => c.TimeProvider = clock);
        var generator = new MotadataCachingEmbeddingGenerator(model, cache, new EmbeddingCacheOptions { TenantId = "t" });
        var scoped = new EmbeddingGenerationOptions
        {
            AdditionalProperties = new() { [AICacheProperties.Namespace] = "docs", [AICacheProperties.Ttl] = 30 },
        };

        await generator.GenerateAsync(["a"], scoped);
        await generator.GenerateAsync(["a"]);
        await generator.GenerateAsync(["a"], scoped);

        Assert.Equal(2, model.Batches.Count);
        var key = generator.GetCacheKey("a", scoped);
        Assert.StartsWith("emb:docs:", key, StringComparison.Ordinal);
        await AssertExpiresWithinAsync(cache, clock, key, "t", TimeSpan.FromSeconds(30));
    }
}
