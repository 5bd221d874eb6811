using Microsoft.Extensions.AI;
using Motadata.Cache.AI;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.AI.Tests.Integrations;

/// <summary>The cache is an optimisation: with the server gone (and recovery off) the AI clients still answer from the model.</summary>
public sealed class AICachingOutageTests
{
    [Fact]
    public async Task WhenTheServerIsGoneChatAndEmbeddingRequestsStillReachTheModel()
    {
        await using var server = await RedisServer.StartAsync();
        await using var cache = CacheMechanism.CreateDragonfly(server.Url, configure: c =>
        {
            c.EnableRecovery = false;

            // Generous for the calls made before the fault; the killed server then fails calls at once.
            c.OperationTimeout = TimeSpan.FromSeconds(5);
        });
        var chatModel = new FakeChatClient();
        var embeddingModel = new FakeEmbeddingGenerator();
        var chat = new MotadataCachingChatClient(chatModel, cache);
        var embedder = new MotadataCachingEmbeddingGenerator(embeddingModel, cache);
        await chat.GetResponseAsync("warm");

        await server.KillAsync();
        var response = await chat.GetResponseAsync("question");
        var vectors = await embedder.GenerateAsync(["a", "b"]);

        Assert.Equal("answer 2 to question", response.Text);
        Assert.Equal(2, chatModel.Calls);
        Assert.Equal(2, vectors.Count);
        Assert.Equal(["a", "b"], Assert.Single(embeddingModel.Batches));
    }
}
