using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AiGateway;

/// <summary>
/// Stands in for a paid model API: answers chat and embedding requests after a short delay, and counts every call
/// and token it would have billed.
/// </summary>
internal sealed class FakeModel : IChatClient, IEmbeddingGenerator<string, Embedding<float>>
{
    public const decimal DollarsPerThousandChatTokens = 0.01m;
    public const decimal DollarsPerThousandEmbeddingTokens = 0.0001m;
    private const int Dimensions = 1536;

    private int _chatCalls;
    private int _embeddingCalls;
    private long _chatTokens;
    private long _embeddingTokens;

    public int ChatCalls => _chatCalls;

    public int EmbeddingCalls => _embeddingCalls;

    public decimal Spent =>
        (Interlocked.Read(ref _chatTokens) * DollarsPerThousandChatTokens / 1000m) +
        (Interlocked.Read(ref _embeddingTokens) * DollarsPerThousandEmbeddingTokens / 1000m);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _chatCalls);
        await Task.Delay(20, cancellationToken);
        var question = messages.Last().Text;
        var tokens = 400 + question.Length;
        Interlocked.Add(ref _chatTokens, tokens);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, $"Here is what I know about \"{question}\"."))
        {
            ModelId = "fake-gpt",
            Usage = new UsageDetails { InputTokenCount = tokens - 150, OutputTokenCount = 150, TotalTokenCount = tokens },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _embeddingCalls);
        await Task.Delay(10, cancellationToken);
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            Interlocked.Add(ref _embeddingTokens, value.Length);
            var vector = new float[Dimensions];
            var seed = value.Length;
            foreach (var c in value)
            {
                seed = (seed * 31) + c;
            }

            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] = (float)Math.Sin(seed + i);
            }

            result.Add(new Embedding<float>(vector) { ModelId = "fake-embed" });
        }

        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", null, "fake-gpt")
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("fake", null, "fake-embed", Dimensions)
        : null;

    public void Dispose()
    {
    }
}
