using Microsoft.Extensions.AI;

namespace Motadata.Cache.AI.Tests.Integrations;

/// <summary>An embedding model stand-in: a deterministic vector per text, and a record of every input it was asked for.</summary>
public sealed class FakeEmbeddingGenerator(int dimensions = 16) : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly List<string[]> _batches = [];

    public IReadOnlyList<string[]> Batches => _batches;

    public int Dimensions => dimensions;

    public static float[] VectorOf(string text, int dimensions)
    {
        var vector = new float[dimensions];
        var seed = StringComparer.Ordinal.GetHashCode(text);
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] = ((seed >> (i % 24)) & 0xFF) / 255f + i + (text.Length / 1000f);
        }

        return vector;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var batch = values.ToArray();
        lock (_batches)
        {
            _batches.Add(batch);
        }

        var embeddings = new GeneratedEmbeddings<Embedding<float>>(batch.Select(v => new Embedding<float>(VectorOf(v, options?.Dimensions ?? dimensions))))
        {
            Usage = new UsageDetails { InputTokenCount = batch.Length },
        };
        return Task.FromResult(embeddings);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("fake", null, "fake-embedder", dimensions) : null;

    public void Dispose()
    {
    }
}
