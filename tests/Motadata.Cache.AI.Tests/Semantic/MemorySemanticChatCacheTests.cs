using Microsoft.Extensions.AI;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Motadata.Cache.AI.Tests.Semantic;

public sealed class MemorySemanticChatCacheTests(MiniLmFixture minilm) : SemanticChatCacheTests(minilm), IClassFixture<MiniLmFixture>
{
    protected override void ConfigureBackend(CacheConfig config) => config.Backend = CacheBackend.Memory;

    [Fact]
    public async Task WhenACachedAnswerExpiresItsParaphraseIsAnsweredAfresh()
    {
        var clock = new FakeTimeProvider(Start);
        var cache = CreateCache(c => c.TimeProvider = clock);
        var (model, client, _) = Build(cache);
        var shortLived = For("acme");
        shortLived.AdditionalProperties![AI.AICacheProperties.Ttl] = TimeSpan.FromMinutes(1);
        await client.GetResponseAsync("How do I reset my password?", shortLived);

        clock.Advance(TimeSpan.FromMinutes(2));
        await client.GetResponseAsync("How can I reset my password?", For("acme"));

        Assert.Equal(2, model.Calls);
    }

    [Fact]
    public async Task WhenASemanticHitIsServedTheMeterCountsItApartFromExactHits()
    {
        using var semanticHits = new MetricCollector<long>(null, AI.AICacheCounters.MeterName, "motadata.cache.ai.semantic_hits");
        using var exactHits = new MetricCollector<long>(null, AI.AICacheCounters.MeterName, "motadata.cache.ai.hits");
        var (_, client, _) = Build(CreateCache());

        await client.GetResponseAsync("How do I reset my password?", For("meter-tenant"));
        await client.GetResponseAsync("How can I reset my password?", For("meter-tenant"));

        bool Mine(CollectedMeasurement<long> m) => m.Tags.TryGetValue("cache.tenant", out var tenant) && Equals(tenant, "meter-tenant");
        Assert.Equal(1, semanticHits.GetMeasurementSnapshot().Where(Mine).Sum(m => m.Value));
        Assert.Equal(0, exactHits.GetMeasurementSnapshot().Where(Mine).Sum(m => m.Value));
    }

    [Fact]
    public async Task WhenAWritersPromptsHaveAllExpiredItLeavesTheRegistryAndTheOthersStay()
    {
        var clock = new FakeTimeProvider(Start);
        var cache = CreateCache(c => c.TimeProvider = clock);
        var options = new AI.SemanticCacheOptions { EmbeddingGenerator = MiniLm.Generator, RefreshInterval = TimeSpan.Zero };
        var shortLived = new AI.Internal.SemanticLayer(cache, options);
        var longLived = new AI.Internal.SemanticLayer(cache, options);
        var random = new Random(5);
        await shortLived.AddAsync("acme", "scope", "prompt 1", RandomUnitVector(random), "chat:1", TimeSpan.FromMinutes(1), CancellationToken.None);
        await longLived.AddAsync("acme", "scope", "prompt 2", RandomUnitVector(random), "chat:2", TimeSpan.FromHours(1), CancellationToken.None);
        Assert.Equal(3, await RegistryLinesAsync());   // the epoch and two writers

        clock.Advance(TimeSpan.FromMinutes(2));
        await longLived.FindAsync("acme", "scope", "prompt 2", RandomUnitVector(random), null, CancellationToken.None);

        Assert.Equal(2, await RegistryLinesAsync());   // the epoch and the writer whose prompt lives
        Assert.Equal(1, longLived.IndexOf("acme").Count);

        async Task<int> RegistryLinesAsync() =>
            System.Text.Encoding.ASCII.GetString((await cache.GetAsync<byte[]>("sem:w", "acme"))!).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }
}
