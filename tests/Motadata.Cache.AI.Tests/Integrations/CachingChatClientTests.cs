using Microsoft.Extensions.AI;
using Motadata.Cache.AI;

namespace Motadata.Cache.AI.Tests.Integrations;

/// <summary>The caching chat client on every backend (memory keeps responses by reference, Dragonfly as JSON).</summary>
public abstract class CachingChatClientTests : CacheOwningTests
{
    private static IChatClient Build(FakeChatClient model, CacheMechanism cache, Action<ChatCacheOptions>? configure = null) =>
        new ChatClientBuilder(model).UseMotadataCache(cache, configure).Build();

    private static ChatOptions ForTenant(string tenant) => new() { AdditionalProperties = new() { [AICacheProperties.TenantId] = tenant } };

    [Fact]
    public async Task WhenTheSameRequestComesAgainTheModelIsNotCalled()
    {
        var model = new FakeChatClient();
        var client = Build(model, CreateCache());

        var first = await client.GetResponseAsync("What is a cache?");
        var second = await client.GetResponseAsync("What is a cache?");

        Assert.Equal(1, model.Calls);
        Assert.Equal("answer 1 to What is a cache?", first.Text);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(15, second.Usage?.TotalTokenCount);
    }

    [Fact]
    public async Task WhenTheRequestDiffersTheModelAnswersAfresh()
    {
        var model = new FakeChatClient();
        var client = Build(model, CreateCache());

        await client.GetResponseAsync("one");
        await client.GetResponseAsync("two");
        await client.GetResponseAsync("one", new ChatOptions { Temperature = 0.9f });

        Assert.Equal(3, model.Calls);
    }

    [Fact]
    public async Task WhenAStreamingResponseIsCachedItIsReplayedUpdateByUpdate()
    {
        var model = new FakeChatClient();
        var client = Build(model, CreateCache());

        var first = await client.GetStreamingResponseAsync("stream please").ToListAsync();
        var replay = await client.GetStreamingResponseAsync("stream please").ToListAsync();

        Assert.Equal(1, model.Calls);
        Assert.Equal(4, replay.Count);
        Assert.Equal(first.Select(u => u.Text), replay.Select(u => u.Text));
        Assert.Equal("streamed answer 1", string.Concat(replay.Select(u => u.Text)));
        Assert.IsType<UsageContent>(Assert.Single(replay[3].Contents));
    }

    [Fact]
    public async Task WhenAStreamIsAbandonedHalfWayNothingIsCached()
    {
        var model = new FakeChatClient();
        var client = Build(model, CreateCache());

        await foreach (var update in client.GetStreamingResponseAsync("partial"))
        {
            break;
        }

        var full = await client.GetStreamingResponseAsync("partial").ToListAsync();

        Assert.Equal(2, model.Calls);
        Assert.Equal("streamed answer 2", string.Concat(full.Select(u => u.Text)));
    }

    [Fact]
    public async Task WhenStreamingAndNonStreamingAskTheSameTheyAreCachedApart()
    {
        var model = new FakeChatClient();
        var client = Build(model, CreateCache());

        await client.GetResponseAsync("same");
        await client.GetStreamingResponseAsync("same").ToListAsync();

        Assert.Equal(2, model.Calls);
    }

    [Fact]
    public async Task WhenARequestOptsOutTheModelIsCalledEveryTimeAndNothingIsStored()
    {
        var model = new FakeChatClient();
        var cache = CreateCache();
        var stats = new AICacheCounters();
        var client = Build(model, cache, o => o.Statistics = stats);
        var optOut = new ChatOptions { AdditionalProperties = new() { [AICacheProperties.NoCache] = true, [AICacheProperties.NoStore] = true } };

        await client.GetResponseAsync("fresh", optOut);
        await client.GetResponseAsync("fresh", optOut);
        await client.GetStreamingResponseAsync("fresh", optOut).ToListAsync();
        await client.GetResponseAsync("fresh");

        Assert.Equal(4, model.Calls);
        Assert.Equal(3, stats.GetStats().Bypassed);
        Assert.Equal(1, stats.GetStats().Misses);
    }

    [Fact]
    public async Task WhenAConversationIsKeptByTheServiceTheResponseIsNotCached()
    {
        var model = new FakeChatClient();
        var client = Build(model, CreateCache());
        var stateful = new ChatOptions { ConversationId = "conv-1" };

        await client.GetResponseAsync("next?", stateful);
        await client.GetResponseAsync("next?", stateful);

        Assert.Equal(2, model.Calls);
    }

    [Fact]
    public async Task WhenTenantsAskTheSameQuestionEachGetsItsOwnAnswerAndCounts()
    {
        var model = new FakeChatClient();
        var cache = CreateCache();
        var stats = new AICacheCounters();
        var client = Build(model, cache, o => o.Statistics = stats);

        var a1 = await client.GetResponseAsync("hello", ForTenant("tenant_a"));
        var b1 = await client.GetResponseAsync("hello", ForTenant("tenant_b"));
        var a2 = await client.GetResponseAsync("hello", ForTenant("tenant_a"));
        await client.GetResponseAsync("hello", ForTenant("tenant_a"));

        Assert.Equal(2, model.Calls);
        Assert.Equal(a1.Text, a2.Text);
        Assert.NotEqual(a1.Text, b1.Text);
        var a = stats.GetStats("tenant_a");
        Assert.Equal((2L, 1L, 2L, 1L, 30L), (a.Hits, a.Misses, a.CallsAvoided, a.CallsMade, a.TokensSaved));
        var b = stats.GetStats("tenant_b");
        Assert.Equal((0L, 1L, 0L), (b.Hits, b.Misses, b.CallsAvoided));
        Assert.Equal(1, cache.Clear("tenant_b"));
        Assert.Equal(0, cache.Clear("tenant_b"));
    }

    [Fact]
    public async Task WhenTheClientHasAFixedTenantARequestNamingAnotherIsRefusedAndNothingIsCalledOrStored()
    {
        var model = new FakeChatClient();
        var cache = CreateCache();
        var client = Build(model, cache, o => o.TenantId = "fixed");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync("q", ForTenant("intruder")));
        var streamError = await Assert.ThrowsAsync<ArgumentException>(async () => await client.GetStreamingResponseAsync("q", ForTenant("intruder")).ToListAsync());
        await client.GetResponseAsync("q", ForTenant("fixed"));

        Assert.Equal(AICacheProperties.TenantId, error.ParamName);
        Assert.Contains("ChatOptions.AdditionalProperties[\"motadata.cache.tenant\"] is \"intruder\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("fixed in code (\"fixed\")", error.Message, StringComparison.Ordinal);
        Assert.Equal(error.Message, streamError.Message);
        Assert.Equal(1, model.Calls);
        Assert.Equal(1, cache.GetStats("fixed").Misses);
        Assert.Equal(0, cache.GetStats("intruder").Misses);
    }

    [Fact]
    public async Task WhenATenantSelectorPicksTheTenantARequestNamingAnotherIsRefused()
    {
        var model = new FakeChatClient();
        var client = Build(model, CreateCache(), o => o.TenantSelector = (_, _) => "acme");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync("q", ForTenant("globex")));

        Assert.Contains("\"globex\"", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task WhenATenantSelectorIsGivenItPicksTheNamespace()
    {
        var model = new FakeChatClient();
        var cache = CreateCache();
        var client = Build(model, cache, o => o.TenantSelector = (_, options) => options?.ConversationId is null ? "from-selector" : null);

        await client.GetResponseAsync("q");
        await client.GetResponseAsync("q");

        Assert.Equal(1, model.Calls);
        Assert.Equal(1, cache.GetStats("from-selector").Hits);
    }
}
