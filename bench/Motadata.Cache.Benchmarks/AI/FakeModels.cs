using Microsoft.Extensions.AI;

namespace Motadata.Cache.Benchmarks.AI;

/// <summary>A chat model that answers instantly with a fixed response and counts its calls (a cache hit must not call it).</summary>
public sealed class FakeChatClient : IChatClient
{
    private readonly ChatResponse _response = new(new ChatMessage(ChatRole.Assistant, "Paris is the capital of France. It has been the capital since the 10th century."))
    {
        ModelId = "fake-model",
        Usage = new UsageDetails { InputTokenCount = 24, OutputTokenCount = 18, TotalTokenCount = 42 },
    };

    public int Calls { get; private set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        return Task.FromResult(_response);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The benchmarks do not stream.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

/// <summary>An embedding model that returns a deterministic 1,536-float vector per input and counts its calls.</summary>
public sealed class FakeEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int Dimensions = 1_536;

    public int Calls { get; private set; }

    public static float[] VectorFor(string input)
    {
        // A stable seed (string hashing is randomized per process), so every run measures the same vectors.
        var seed = 17;
        foreach (var c in input)
        {
            seed = unchecked((seed * 31) + c);
        }

        var random = new Random(seed & 0x7fffffff);
        var vector = new float[Dimensions];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return vector;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        var embeddings = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            embeddings.Add(new Embedding<float>(VectorFor(value)));
        }

        return Task.FromResult(embeddings);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
