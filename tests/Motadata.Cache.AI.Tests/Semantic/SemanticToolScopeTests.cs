using Microsoft.Extensions.AI;
using Motadata.Cache.AI;
using Motadata.Cache.Tests.Integrations;

namespace Motadata.Cache.AI.Tests.Semantic;

/// <summary>The semantic layer's scope is the canonical request hash: a paraphrase asked with other tools is never served another tool list's answer.</summary>
public sealed class SemanticToolScopeTests(MiniLmFixture minilm) : CacheOwningTests, IClassFixture<MiniLmFixture>
{
    protected override void ConfigureBackend(CacheConfig config) => config.Backend = CacheBackend.Memory;

    private static AIFunction Weather() =>
        AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather", "The weather in a city.");

    private static AIFunction Refund() =>
        AIFunctionFactory.Create((string order) => $"refunded {order}", "issue_refund", "Refunds an order.");

    private (FakeChatClient Model, MotadataCachingChatClient Client, AICacheCounters Stats) Build()
    {
        var model = new FakeChatClient();
        var stats = new AICacheCounters();
        var client = new MotadataCachingChatClient(model, CreateCache(), new ChatCacheOptions
        {
            TenantId = "acme",
            Statistics = stats,
            Semantic = new SemanticCacheOptions { EmbeddingGenerator = minilm.Generator },
        });
        return (model, client, stats);
    }

    [Fact]
    public async Task WhenAParaphraseIsAskedWithAnotherToolListTheModelAnswersIt()
    {
        var (model, client, stats) = Build();

        await client.GetResponseAsync("How do I reset my password?", new ChatOptions { Tools = [Weather()] });
        var other = await client.GetResponseAsync("How can I reset my password?", new ChatOptions { Tools = [Refund()] });
        var more = await client.GetResponseAsync("How can I reset my password?", new ChatOptions { Tools = [Weather(), Refund()] });

        Assert.Equal(3, model.Calls);
        Assert.Equal("answer 2 to How can I reset my password?", other.Text);
        Assert.Equal("answer 3 to How can I reset my password?", more.Text);
        Assert.Equal(0, stats.GetStats("acme").SemanticHits);
    }

    [Fact]
    public async Task WhenAParaphraseIsAskedWithTheSameToolsRebuiltAndOnlyCacheControlsTheCachedAnswerIsServed()
    {
        var (model, client, stats) = Build();

        var first = await client.GetResponseAsync("How do I reset my password?", new ChatOptions { Tools = [Weather()] });
        var paraphrase = await client.GetResponseAsync(
            "How can I reset my password?",
            new ChatOptions { Tools = [Weather()], AdditionalProperties = new() { [AICacheProperties.Ttl] = 60 } });

        Assert.Equal(1, model.Calls);
        Assert.Equal(first.Text, paraphrase.Text);
        Assert.Equal(1, stats.GetStats("acme").SemanticHits);
    }
}
