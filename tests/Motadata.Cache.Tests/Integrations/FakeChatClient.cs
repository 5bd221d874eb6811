using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>A model stand-in that answers with a counter, so a test can tell a fresh answer from a cached one.</summary>
public sealed class FakeChatClient : IChatClient
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public string ModelId { get; init; } = "fake-model";

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = Interlocked.Increment(ref _calls);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, $"answer {call} to {messages.Last().Text}"))
        {
            ModelId = options?.ModelId ?? ModelId,
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15 },
        };
        return Task.FromResult(response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var call = Interlocked.Increment(ref _calls);
        foreach (var word in new[] { "streamed", " answer", $" {call}" })
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, word) { ModelId = ModelId };
        }

        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { TotalTokenCount = 7 })]);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", null, ModelId) : null;

    public void Dispose()
    {
    }
}
