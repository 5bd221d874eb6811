using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.AI;
using Motadata.Cache.Tests.Integrations;

namespace Motadata.Cache.AI.Tests.Semantic;

public sealed class DragonflySemanticChatCacheTests(RedisServerFixture redis, MiniLmFixture minilm)
    : SemanticChatCacheTests(minilm), IClassFixture<RedisServerFixture>, IClassFixture<MiniLmFixture>
{
    protected override void ConfigureBackend(CacheConfig config) => redis.Configure(config);

    [Fact]
    public async Task WhenAnInstanceStartsLaterItLoadsTheTenantsEntriesAtFirstUse()
    {
        var first = CreateCache();
        var (model1, client1, _) = Build(first);
        await client1.GetResponseAsync("How do I reset my password?", For("acme"));

        var second = CreateCache(c => c.KeyPrefix = first.Config.KeyPrefix);
        var (model2, client2, stats2) = Build(second);
        var answer = await client2.GetResponseAsync("How can I reset my password?", For("acme"));

        Assert.Equal(1, model1.Calls);
        Assert.Equal(0, model2.Calls);
        Assert.Equal("answer 1 to How do I reset my password?", answer.Text);
        Assert.Equal(1, stats2.GetStats("acme").SemanticHits);
    }

    [Fact]
    public async Task WhenAnotherInstanceAddsAnEntryItIsServedHereAfterTheRefreshInterval()
    {
        var clock = new FakeTimeProvider(Start);
        var first = CreateCache(c => c.TimeProvider = clock);
        var second = CreateCache(c => { c.KeyPrefix = first.Config.KeyPrefix; c.TimeProvider = clock; });
        var (model1, client1, _) = Build(first, o => o.RefreshInterval = TimeSpan.FromSeconds(5));
        var (model2, client2, _) = Build(second, o => o.RefreshInterval = TimeSpan.FromSeconds(5));
        await client2.GetResponseAsync("What is the capital of France?", For("acme"));   // loads acme's (empty) index here

        await client1.GetResponseAsync("How do I reset my password?", For("acme"));
        await client2.GetResponseAsync("How can I reset my password?", For("acme"));       // within the interval: not seen yet
        clock.Advance(TimeSpan.FromSeconds(5));
        var later = await client2.GetResponseAsync("How can I change my password?", For("acme"));
        var paraphrase = await client2.GetResponseAsync("how do I reset my password", For("acme"));

        Assert.Equal(1, model1.Calls);
        Assert.Equal(3, model2.Calls);
        Assert.Equal("answer 1 to How do I reset my password?", paraphrase.Text);
        Assert.NotEqual(paraphrase.Text, later.Text);
    }

    [Fact]
    public async Task WhenAnotherInstanceClearsTheTenantThisInstancesIndexDropsItsEntriesAtTheNextRefresh()
    {
        var clock = new FakeTimeProvider(Start);
        var first = CreateCache(c => c.TimeProvider = clock);
        var second = CreateCache(c => { c.KeyPrefix = first.Config.KeyPrefix; c.TimeProvider = clock; });
        var (_, client1, _) = Build(first);
        var chat1 = client1.GetService<MotadataCachingChatClient>()!;
        await client1.GetResponseAsync("How do I reset my password?", For("acme"));
        clock.Advance(TimeSpan.FromSeconds(5));
        await client1.GetResponseAsync("What is the capital of France?", For("acme"));
        Assert.Equal(2, chat1.Semantic!.IndexOf("acme").Count);

        await second.ClearAsync("acme");
        clock.Advance(TimeSpan.FromSeconds(5));
        await client1.GetResponseAsync("Where is my order?", For("acme"));

        Assert.Equal(1, chat1.Semantic.IndexOf("acme").Count);
    }

    [Fact]
    public async Task WhenTwoInstancesWriteOneTenantAtOnceEachSeesEveryPromptOfBothAndALaterOneLoadsThemAll()
    {
        const int writersPerInstance = 4, promptsPerWriter = 100;
        var first = CreateCache();
        var second = CreateCache(c => c.KeyPrefix = first.Config.KeyPrefix);
        var options = new SemanticCacheOptions { EmbeddingGenerator = MiniLm.Generator, RefreshInterval = TimeSpan.Zero };
        var layers = new[] { new AI.Internal.SemanticLayer(first, options), new AI.Internal.SemanticLayer(second, options) };
        var random = new Random(2);
        var vectors = Enumerable.Range(0, 2 * writersPerInstance * promptsPerWriter).Select(_ => RandomUnitVector(random)).ToArray();

        // Both instances join the tenant at the same moment and write from four tasks each.
        await Task.WhenAll(Enumerable.Range(0, 2 * writersPerInstance).Select(w => Task.Run(async () =>
        {
            var layer = layers[w % 2];
            for (var i = 0; i < promptsPerWriter; i++)
            {
                var n = (w * promptsPerWriter) + i;
                await layer.AddAsync("acme", "scope", $"prompt {n}", vectors[n], $"chat:{n}", null, CancellationToken.None);
            }
        })));

        // One refresh each, in turn (a lookup with RefreshInterval zero): each instance checks it is listed, then reads the other's log.
        foreach (var layer in layers)
        {
            await layer.FindAsync("acme", "scope", "prompt 0", vectors[0], null, CancellationToken.None);
        }

        foreach (var layer in layers)
        {
            await layer.FindAsync("acme", "scope", "prompt 0", vectors[0], null, CancellationToken.None);
            Assert.Equal(vectors.Length, layer.IndexOf("acme").Count);
        }

        var third = new AI.Internal.SemanticLayer(CreateCache(c => c.KeyPrefix = first.Config.KeyPrefix), options);
        for (var n = 0; n < vectors.Length; n += 37)
        {
            var found = await third.FindAsync("acme", "scope", $"prompt {n}", vectors[n], null, CancellationToken.None);
            Assert.Equal($"chat:{n}", Assert.Single(found!).AnswerKey);
        }

        Assert.Equal(vectors.Length, third.IndexOf("acme").Count);
    }
}
