using Microsoft.Extensions.AI;
using Motadata.Cache.AI;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>The caching chat client on every backend (memory keeps responses by reference, Dragonfly as JSON).</summary>
public abstract class CachingChatClientTests : IAsyncLifetime
{
    private readonly List<CacheMechanism> _caches = [];

    protected abstract void ConfigureBackend(CacheConfig config);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }
    }

    protected CacheMechanism CreateCache()
    {
        var config = new CacheConfig();
        ConfigureBackend(config);
        var cache = new CacheMechanism(config);
        _caches.Add(cache);
        return cache;
    }

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
        var stats = new AICacheStatistics();
        var client = Build(model, cache, o => o.Statistics = stats);
        var optOut = new ChatOptions { AdditionalProperties = new() { [AICacheProperties.NoCache] = true } };

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
        var stats = new AICacheStatistics();
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
    public async Task WhenTheClientHasAFixedTenantARequestCannotChooseAnother()
    {
        var model = new FakeChatClient();
        var cache = CreateCache();
        var client = Build(model, cache, o => o.TenantId = "fixed");

        await client.GetResponseAsync("q", ForTenant("intruder"));

        Assert.Equal(1, cache.GetStats("fixed").Misses);
        Assert.Equal(0, cache.GetStats("intruder").Misses);
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

public sealed class MemoryCachingChatClientTests : CachingChatClientTests
{
    protected override void ConfigureBackend(CacheConfig config) => config.Backend = CacheBackend.Memory;
}

public sealed class DragonflyCachingChatClientTests(RedisServerFixture redis) : CachingChatClientTests, IClassFixture<RedisServerFixture>
{
    protected override void ConfigureBackend(CacheConfig config) => redis.Configure(config);
}

/// <summary>What a request's key depends on, and what it must not.</summary>
public sealed class ChatCacheKeyTests : IAsyncLifetime
{
    private readonly CacheMechanism _cache = CacheMechanism.CreateMemory();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cache.DisposeAsync();

    private MotadataCachingChatClient Client(string version = "1", string model = "fake-model") =>
        new(new FakeChatClient { ModelId = model }, _cache, new ChatCacheOptions { Version = version });

    private static List<ChatMessage> Messages() => [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hi")];

    [Fact]
    public void WhenTheRequestIsTheSameTheKeyIsTheSame()
    {
        var key = Client().GetCacheKey(Messages(), new ChatOptions { Temperature = 0.2f, MaxOutputTokens = 100 });
        var again = Client().GetCacheKey(Messages(), new ChatOptions { MaxOutputTokens = 100, Temperature = 0.2f });

        Assert.Equal(key, again);
        Assert.StartsWith("chat:", key, StringComparison.Ordinal);
        Assert.Equal(5 + 64, key.Length);
    }

    [Fact]
    public void WhenModelOptionsOrVersionDifferTheKeyDiffers()
    {
        var baseline = Client().GetCacheKey(Messages());

        Assert.NotEqual(baseline, Client().GetCacheKey(Messages(), new ChatOptions { ModelId = "other-model" }));
        Assert.NotEqual(baseline, Client(model: "other-default").GetCacheKey(Messages()));
        Assert.NotEqual(baseline, Client().GetCacheKey(Messages(), new ChatOptions { Temperature = 0.5f }));
        Assert.NotEqual(baseline, Client(version: "2").GetCacheKey(Messages()));
        Assert.NotEqual(baseline, Client().GetCacheKey([new(ChatRole.User, "Hi")]));
        Assert.NotEqual(baseline, Client().GetCacheKey(Messages(), streaming: true));
    }

    [Fact]
    public void WhenAdditionalPropertiesAreAddedInAnotherOrderTheKeyIsTheSame()
    {
        var one = new ChatOptions { AdditionalProperties = new() { ["a"] = 1, ["b"] = "x" } };
        var other = new ChatOptions { AdditionalProperties = new() { ["b"] = "x", ["a"] = 1 } };

        Assert.Equal(Client().GetCacheKey(Messages(), one), Client().GetCacheKey(Messages(), other));
        Assert.NotEqual(
            Client().GetCacheKey(Messages(), one),
            Client().GetCacheKey(Messages(), new ChatOptions { AdditionalProperties = new() { ["a"] = 2, ["b"] = "x" } }));
    }

    [Fact]
    public void WhenOnlyTheCacheControlPropertiesDifferTheKeyIsTheSame()
    {
        var plain = Client().GetCacheKey(Messages(), new ChatOptions());
        var withTenant = Client().GetCacheKey(Messages(), new ChatOptions { AdditionalProperties = new() { [AICacheProperties.TenantId] = "t" } });

        Assert.Equal(plain, withTenant);
    }
}
