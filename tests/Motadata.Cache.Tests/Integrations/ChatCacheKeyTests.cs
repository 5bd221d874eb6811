using Microsoft.Extensions.AI;
using Motadata.Cache.AI;

namespace Motadata.Cache.Tests.Integrations;

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
