using Microsoft.Extensions.AI;
using Motadata.Cache.AI;

namespace Motadata.Cache.AI.Tests.Integrations;

/// <summary>The caching embedding generator on every backend.</summary>
public abstract class CachingEmbeddingGeneratorTests : CacheOwningTests
{
    protected static IEmbeddingGenerator<string, Embedding<float>> Build(FakeEmbeddingGenerator model, CacheMechanism cache, Action<EmbeddingCacheOptions>? configure = null) =>
        new EmbeddingGeneratorBuilder<string, Embedding<float>>(model).UseMotadataCache(cache, configure).Build();

    [Fact]
    public async Task WhenSomeInputsAreCachedOnlyTheMissesReachTheModelAndOrderIsKept()
    {
        var model = new FakeEmbeddingGenerator();
        var generator = Build(model, CreateCache(), o => o.TenantId = "t");
        await generator.GenerateAsync(["alpha", "beta"]);

        var result = await generator.GenerateAsync(["beta", "gamma", "alpha", "delta", "gamma"]);

        Assert.Equal(2, model.Batches.Count);
        Assert.Equal(["gamma", "delta"], model.Batches[1]);
        Assert.Equal(5, result.Count);
        string[] expected = ["beta", "gamma", "alpha", "delta", "gamma"];
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(FakeEmbeddingGenerator.VectorOf(expected[i], model.Dimensions), result[i].Vector.ToArray());
        }
    }

    [Fact]
    public async Task WhenEveryInputIsCachedTheModelIsNotCalledAndTheCallCountsAsAvoided()
    {
        var model = new FakeEmbeddingGenerator();
        var stats = new AICacheCounters();
        var generator = Build(model, CreateCache(), o => { o.TenantId = "t"; o.Statistics = stats; });
        await generator.GenerateAsync(["a", "b", "c"]);

        var again = await generator.GenerateAsync(["c", "a"]);

        Assert.Single(model.Batches);
        Assert.Equal(FakeEmbeddingGenerator.VectorOf("c", 16), again[0].Vector.ToArray());
        Assert.Equal("fake-embedder", again[0].ModelId);
        var s = stats.GetStats("t");
        Assert.Equal((2L, 3L, 1L, 1L), (s.Hits, s.Misses, s.CallsAvoided, s.CallsMade));
    }

    [Fact]
    public async Task WhenAVectorIsStoredItIsRawFloatsWithASmallHeader()
    {
        var model = new FakeEmbeddingGenerator(dimensions: 1536);
        var cache = CreateCache();
        var generator = new MotadataCachingEmbeddingGenerator(model, cache, new EmbeddingCacheOptions { TenantId = "t" });

        await generator.GenerateAsync(["some text"]);

        Assert.True(cache.TryGet<byte[]>(generator.GetCacheKey("some text"), out var stored, "t"));
        Assert.Equal(8 + (4 * 1536), stored.Length);
        var vector = FakeEmbeddingGenerator.VectorOf("some text", 1536);
        Assert.Equal(vector[1], BitConverter.ToSingle(stored, 8 + 4));
    }

    [Fact]
    public async Task WhenTenantsEmbedTheSameTextEachHasItsOwnEntry()
    {
        var model = new FakeEmbeddingGenerator();
        var generator = Build(model, CreateCache());
        EmbeddingGenerationOptions For(string tenant) => new() { AdditionalProperties = new() { [AICacheProperties.TenantId] = tenant } };

        await generator.GenerateAsync(["x"], For("a"));
        await generator.GenerateAsync(["x"], For("b"));
        await generator.GenerateAsync(["x"], For("a"));

        Assert.Equal(2, model.Batches.Count);
    }

    [Fact]
    public async Task WhenDimensionsOrVersionDifferTheVectorsAreCachedApart()
    {
        var model = new FakeEmbeddingGenerator();
        var cache = CreateCache();
        var v1 = Build(model, cache, o => o.Version = "1");
        var v2 = Build(model, cache, o => o.Version = "2");

        await v1.GenerateAsync(["x"]);
        await v1.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = 8 });
        await v2.GenerateAsync(["x"]);
        var small = await v1.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = 8 });

        Assert.Equal(3, model.Batches.Count);
        Assert.Equal(8, small[0].Vector.Length);
    }

    [Fact]
    public async Task WhenACallOptsOutTheModelIsCalledAndNothingIsStored()
    {
        var model = new FakeEmbeddingGenerator();
        var cache = CreateCache();
        var generator = new MotadataCachingEmbeddingGenerator(model, cache);
        var optOut = new EmbeddingGenerationOptions { AdditionalProperties = new() { [AICacheProperties.NoCache] = true, [AICacheProperties.NoStore] = true } };

        await generator.GenerateAsync(["x"], optOut);

        Assert.Single(model.Batches);
        Assert.False(cache.TryGet<byte[]>(generator.GetCacheKey("x"), out _));
    }
}
