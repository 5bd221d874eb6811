using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.AI;
using Motadata.Cache.Tests.Integrations;

namespace Motadata.Cache.AI.Tests.Semantic;

/// <summary>The semantic layer of the chat cache with real MiniLM embeddings, on every backend.</summary>
public abstract class SemanticChatCacheTests(MiniLmFixture minilm) : CacheOwningTests
{
    protected static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    protected MiniLmFixture MiniLm => minilm;

    protected static ChatOptions For(string tenant, string? model = null) =>
        new() { ModelId = model, AdditionalProperties = new() { [AICacheProperties.TenantId] = tenant } };

    protected (FakeChatClient Model, IChatClient Client, AICacheCounters Stats) Build(CacheMechanism cache, Action<SemanticCacheOptions>? configure = null)
    {
        var model = new FakeChatClient();
        var stats = new AICacheCounters();
        var semantic = new SemanticCacheOptions { EmbeddingGenerator = minilm.Generator };
        configure?.Invoke(semantic);
        var client = new ChatClientBuilder(model).UseMotadataCache(cache, o => { o.Statistics = stats; o.Semantic = semantic; }).Build();
        return (model, client, stats);
    }

    [Fact]
    public async Task WhenAParaphraseIsAskedTheCachedAnswerIsServedAndCountedAsASemanticHit()
    {
        var (model, client, stats) = Build(CreateCache());

        var first = await client.GetResponseAsync("How do I reset my password?", For("acme"));
        var second = await client.GetResponseAsync("How can I reset my password?", For("acme"));
        var exact = await client.GetResponseAsync("How do I reset my password?", For("acme"));

        Assert.Equal(1, model.Calls);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(first.Text, exact.Text);
        var s = stats.GetStats("acme");
        Assert.Equal((1L, 1L, 1L, 2L), (s.Hits, s.SemanticHits, s.Misses, s.CallsAvoided));
    }

    [Theory]
    [InlineData("What is the price of the premium plan?", "What is the price of the basic plan?")]
    [InlineData("Is this product waterproof?", "Is this product not waterproof?")]
    [InlineData("What is the price of 2 licenses?", "What is the price of 20 licenses?")]
    [InlineData("What were the sales figures for Q1 2024?", "What were the sales figures for Q2 2024?")]
    [InlineData("Translate \"good morning\" into French.", "Translate \"good morning\" into German.")]
    public async Task WhenANearMissIsAskedTheModelAnswersIt(string cached, string nearMiss)
    {
        var (model, client, stats) = Build(CreateCache());

        await client.GetResponseAsync(cached, For("acme"));
        var answer = await client.GetResponseAsync(nearMiss, For("acme"));

        Assert.Equal(2, model.Calls);
        Assert.Equal($"answer 2 to {nearMiss}", answer.Text);
        Assert.Equal(0, stats.GetStats("acme").SemanticHits);
    }

    [Theory]
    [InlineData("Convert 10 miles to km.", "Convert 10 km to miles.")]
    [InlineData("Is Python faster than Java?", "Is Java faster than Python?")]
    [InlineData("Who did Brutus betray?", "Who betrayed Brutus?")]
    [InlineData("How do I move money from checking to savings?", "How do I move money from savings to checking?")]
    public async Task WhenTheSameWordsAskInAnotherDirectionTheModelAnswersIt(string cached, string reversed)
    {
        var (model, client, stats) = Build(CreateCache());

        await client.GetResponseAsync(cached, For("acme"));
        var answer = await client.GetResponseAsync(reversed, For("acme"));

        Assert.Equal(2, model.Calls);
        Assert.Equal($"answer 2 to {reversed}", answer.Text);
        Assert.Equal(0, stats.GetStats("acme").SemanticHits);
    }

    [Fact]
    public async Task WhenAVerifierIsSetItSeesOnlyCandidatesThatPassedTheGuardAndItsNoRefusesThem()
    {
        var verifier = new RecordingVerifier(accept: (cached, asked) => !cached.Contains("usually", StringComparison.Ordinal) && !asked.Contains("usually", StringComparison.Ordinal));
        var (model, client, stats) = Build(CreateCache(), o => o.Verifier = verifier);

        await client.GetResponseAsync("How long does shipping take?", For("acme"));
        var refusedByGuard = await client.GetResponseAsync("How long does shipping take to Canada?", For("acme"));
        var refusedByVerifier = await client.GetResponseAsync("How long does shipping usually take?", For("acme"));
        var accepted = await client.GetResponseAsync("how long does shipping take", For("acme"));

        Assert.Equal(3, model.Calls);
        Assert.Equal("answer 2 to How long does shipping take to Canada?", refusedByGuard.Text);
        Assert.Equal("answer 3 to How long does shipping usually take?", refusedByVerifier.Text);
        Assert.Equal("answer 1 to How long does shipping take?", accepted.Text);
        Assert.Equal(1, stats.GetStats("acme").SemanticHits);
        // The guard refused "to Canada" before the verifier was asked; the other two reached it, with their similarity.
        Assert.DoesNotContain(verifier.Calls, call => call.NewPrompt.Contains("Canada", StringComparison.Ordinal));
        Assert.Contains(verifier.Calls, call => call.NewPrompt == "How long does shipping usually take?" && call.Similarity >= SemanticCacheOptions.DefaultThreshold);
        Assert.Contains(verifier.Calls, call => call.NewPrompt == "how long does shipping take" && call.CachedPrompt == "How long does shipping take?");
    }

    [Fact]
    public async Task WhenAnotherTenantAsksTheParaphraseItNeverGetsTheFirstTenantsAnswer()
    {
        var (model, client, stats) = Build(CreateCache());

        await client.GetResponseAsync("How do I reset my password?", For("acme"));
        var other = await client.GetResponseAsync("How can I reset my password?", For("globex"));
        var same = await client.GetResponseAsync("How do I reset my password?", For("globex"));

        Assert.Equal(2, model.Calls);
        Assert.Equal("answer 2 to How can I reset my password?", other.Text);
        Assert.Equal(other.Text, same.Text);
        Assert.Equal(0, stats.GetStats("acme").SemanticHits);
        Assert.Equal(1, stats.GetStats("globex").SemanticHits);
    }

    [Fact]
    public async Task WhenAnotherModelOrOtherInstructionsAskTheParaphraseTheModelAnswersIt()
    {
        var (model, client, _) = Build(CreateCache());

        await client.GetResponseAsync("How do I reset my password?", For("acme", model: "model-a"));
        await client.GetResponseAsync("How can I reset my password?", For("acme", model: "model-b"));
        await client.GetResponseAsync(
            [new ChatMessage(ChatRole.System, "Answer as a pirate."), new ChatMessage(ChatRole.User, "How can I reset my password?")], For("acme", model: "model-a"));
        var withTemperature = For("acme", model: "model-a");
        withTemperature.Temperature = 1.5f;
        await client.GetResponseAsync("How can I reset my password?", withTemperature);

        Assert.Equal(4, model.Calls);
    }

    [Fact]
    public async Task WhenTheTenantIsClearedItsSemanticEntriesAreNotServedAnyMore()
    {
        var cache = CreateCache();
        var (model, client, _) = Build(cache);
        await client.GetResponseAsync("How do I reset my password?", For("acme"));

        await cache.ClearAsync("acme");
        await client.GetResponseAsync("How can I reset my password?", For("acme"));

        Assert.Equal(2, model.Calls);
    }

    [Fact]
    public async Task WhenAnswersAreInvalidatedTheirPromptsLeaveTheIndex()
    {
        var cache = CreateCache();
        var (model, client, _) = Build(cache);
        var chat = client.GetService<MotadataCachingChatClient>()!;
        await client.GetResponseAsync("How do I reset my password?", For("acme"));
        Assert.Equal(1, chat.Semantic!.IndexOf("acme").Count);

        await cache.InvalidateAsync("chat:*", "acme");
        await client.GetResponseAsync("How can I reset my password?", For("acme"));

        Assert.Equal(2, model.Calls);
        // The invalidated prompt is gone; the new answer's prompt is in.
        Assert.Equal(1, chat.Semantic.IndexOf("acme").Count);
    }

    [Fact]
    public async Task WhenARequestSetsNoStoreItsPromptIsNotIndexedAndNoCacheSkipsTheSemanticLookup()
    {
        var cache = CreateCache();
        var (model, client, _) = Build(cache);
        var noStore = For("acme");
        noStore.AdditionalProperties![AICacheProperties.NoStore] = true;
        var noCache = For("acme");
        noCache.AdditionalProperties![AICacheProperties.NoCache] = true;

        await client.GetResponseAsync("How do I reset my password?", noStore);
        await client.GetResponseAsync("How can I reset my password?", For("acme"));
        await client.GetResponseAsync("How do I reset my password?", noCache);

        Assert.Equal(3, model.Calls);
    }

    [Fact]
    public async Task WhenTheEmbeddingGeneratorFailsTheModelStillAnswers()
    {
        var (model, client, _) = Build(CreateCache(), o => o.EmbeddingGenerator = new FailingEmbeddingGenerator());

        var answer = await client.GetResponseAsync("How do I reset my password?", For("acme"));

        Assert.Equal(1, model.Calls);
        Assert.Equal("answer 1 to How do I reset my password?", answer.Text);
    }

    protected static float[] RandomUnitVector(Random random, int dimensions = 32)
    {
        var vector = new float[dimensions];
        for (var d = 0; d < dimensions; d++)
        {
            vector[d] = (float)(random.NextDouble() - 0.5);
        }

        System.Numerics.Tensors.TensorPrimitives.Divide(vector, System.Numerics.Tensors.TensorPrimitives.Norm(vector), vector);
        return vector;
    }

    [Fact]
    public async Task WhenMoreTenantsAreUsedThanTheBoundIdleOnesLeaveTheProcessAndComeBackFromTheCache()
    {
        var cache = CreateCache();
        var options = new SemanticCacheOptions { EmbeddingGenerator = minilm.Generator, MaxTenants = 4, RefreshInterval = TimeSpan.Zero };
        var layer = new AI.Internal.SemanticLayer(cache, options);
        var random = new Random(20);
        var vectors = Enumerable.Range(0, 20).Select(_ => RandomUnitVector(random)).ToArray();

        for (var t = 0; t < 20; t++)
        {
            await layer.AddAsync($"tenant-{t}", "scope", $"prompt {t}", vectors[t], $"chat:{t}", null, CancellationToken.None);
            Assert.True(layer.TenantCount <= 4, $"{layer.TenantCount} tenant indexes after {t + 1} tenants");
        }

        // tenant-0 left long ago: its prompt is read back from the cache, and its next prompt continues its log.
        var found = await layer.FindAsync("tenant-0", "scope", "prompt 0", vectors[0], null, CancellationToken.None);
        Assert.Equal("chat:0", Assert.Single(found!).AnswerKey);
        await layer.AddAsync("tenant-0", "scope", "prompt 0b", vectors[1], "chat:0b", null, CancellationToken.None);
        Assert.True(layer.TenantCount <= 4);

        var fresh = new AI.Internal.SemanticLayer(cache, options);
        await fresh.FindAsync("tenant-0", "scope", "prompt 0", vectors[0], null, CancellationToken.None);
        Assert.Equal(2, fresh.IndexOf("tenant-0").Count);
    }

    [Fact]
    public void WhenSemanticOptionsAreBadOneErrorNamesEachSetting()
    {
        var cache = CreateCache();

        var error = Assert.Throws<ArgumentException>(() => new MotadataCachingChatClient(new FakeChatClient(), cache, new ChatCacheOptions
        {
            Semantic = new SemanticCacheOptions { Threshold = 1.5f, MaxEntriesPerTenant = 0, MaxTenants = 0, RefreshInterval = TimeSpan.FromSeconds(-1), KeyPrefix = "" },
        }));

        foreach (var setting in new[] { "EmbeddingGenerator", "Threshold", "MaxEntriesPerTenant", "MaxTenants", "RefreshInterval", "KeyPrefix" })
        {
            Assert.Contains(setting, error.Message, StringComparison.Ordinal);
        }
    }

    private sealed class RecordingVerifier(Func<string, string, bool> accept) : ISemanticMatchVerifier
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<(string CachedPrompt, string NewPrompt, float Similarity)> _calls = new();

        public IReadOnlyCollection<(string CachedPrompt, string NewPrompt, float Similarity)> Calls => _calls;

        public ValueTask<bool> VerifyAsync(string cachedPrompt, string newPrompt, float similarity, CancellationToken cancellationToken)
        {
            _calls.Enqueue((cachedPrompt, newPrompt, similarity));
            return ValueTask.FromResult(accept(cachedPrompt, newPrompt));
        }
    }

    private sealed class FailingEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new HttpRequestException("embedding service down");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
