using Microsoft.Extensions.AI;
using Motadata.Cache.Tests.Cluster;

namespace Motadata.Cache.AI.Tests.Integrations;

/// <summary>Cached embeddings whose keys land on several real nodes: a cluster, and independent sharded nodes.</summary>
public abstract class EmbeddingsAcrossNodesTests(IMultiNodeTestTarget target) : MultiNodeTestsBase(target)
{
    [Fact]
    public async Task WhenEmbeddingsAreCachedAcrossNodesABatchReadsThemBackInTheOrderOfItsInputs()
    {
        var model = new FakeEmbeddingGenerator();
        var generator = new EmbeddingGeneratorBuilder<string, Embedding<float>>(model)
            .UseMotadataCache(CreateCache(), o => o.TenantId = "emb")
            .Build();
        var inputs = Enumerable.Range(0, 300).Select(i => $"text number {i}").ToArray();
        await generator.GenerateAsync(inputs.Where((_, i) => i % 2 == 0));
        await AssertOnEveryNodeAsync(NamespacePrefix("emb"));

        var asked = inputs.Reverse().ToArray();
        var result = await generator.GenerateAsync(asked);

        Assert.Equal(2, model.Batches.Count);
        Assert.Equal(asked.Where(text => int.Parse(text["text number ".Length..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 1), model.Batches[1]);
        Assert.Equal(asked.Length, result.Count);
        for (var i = 0; i < asked.Length; i++)
        {
            Assert.Equal(FakeEmbeddingGenerator.VectorOf(asked[i], model.Dimensions), result[i].Vector.ToArray());
        }
    }
}

public sealed class ClusterEmbeddingsAcrossNodesTests(RedisClusterFixture fixture) : EmbeddingsAcrossNodesTests(fixture), IClassFixture<RedisClusterFixture>;

public sealed class ShardedNodesEmbeddingsAcrossNodesTests(RedisNodesFixture fixture) : EmbeddingsAcrossNodesTests(fixture), IClassFixture<RedisNodesFixture>;
