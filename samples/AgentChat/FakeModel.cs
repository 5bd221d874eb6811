using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentChat;

/// <summary>A model stand-in that runs offline: it answers from the conversation it is sent, and counts its calls.</summary>
internal sealed class FakeModel : IChatClient
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        var sent = messages.ToList();
        var question = sent.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        var name = sent.Where(m => m.Role == ChatRole.User).Select(m => m.Text).FirstOrDefault(t => t.StartsWith("I am ", StringComparison.Ordinal))?[5..].TrimEnd('.');
        var answer = question.Contains("my name", StringComparison.OrdinalIgnoreCase)
            ? name is null ? "I do not know your name yet." : $"Your name is {name}."
            : $"({sent.Count - 1} earlier messages seen) An answer to: {question}";
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer))
        {
            Usage = new UsageDetails { InputTokenCount = 40 * sent.Count, OutputTokenCount = 30, TotalTokenCount = (40 * sent.Count) + 30 },
        });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", null, "fake-model") : null;

    public void Dispose()
    {
    }
}
