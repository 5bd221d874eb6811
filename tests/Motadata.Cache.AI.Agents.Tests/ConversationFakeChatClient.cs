using Microsoft.Extensions.AI;

namespace Motadata.Cache.AI.Agents.Tests;

/// <summary>A model stand-in that records what each call was sent and answers "reply N to {last user text}".</summary>
public sealed class ConversationFakeChatClient : IChatClient
{
    private readonly List<ChatMessage[]> _calls = [];

    public IReadOnlyList<ChatMessage[]> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var sent = messages.ToArray();
        int call;
        lock (_calls)
        {
            _calls.Add(sent);
            call = _calls.Count;
        }

        var last = sent.LastOrDefault(m => m.Role == ChatRole.User)?.Text;
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, $"reply {call} to {last}"))
        {
            ModelId = "fake-model",
            Usage = new UsageDetails { TotalTokenCount = 20 },
        });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
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
