using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace Motadata.Cache.AI.Agents;

/// <summary>
/// A Microsoft Agent Framework <see cref="ChatHistoryProvider"/> that keeps each conversation's messages in a
/// <see cref="CacheMechanism"/>, under the tenant and a conversation id, with a sliding TTL and bounds (messages and/or
/// estimated tokens; the oldest turns go first, system messages never). The session keeps only a
/// <see cref="ConversationReference"/>, so a serialized session resumes on any instance that shares the Dragonfly
/// server, and after a restart.
/// </summary>
/// <remarks>
/// Give one provider to an agent (<c>ChatClientAgentOptions.ChatHistoryProvider</c>); it serves every session of that
/// agent. Each run reads the conversation once before the model is called and writes it once after (the new request
/// and response messages appended, then trimmed). Two runs of one conversation at the same time (which the agent
/// refuses unless <c>AllowConcurrentInvocation</c> is set) would each append to what they read, and the last write
/// wins. On the memory backend the stored message array is shared: treat loaded messages as read-only.
/// </remarks>
public sealed class MotadataChatHistoryProvider : ChatHistoryProvider
{
    private readonly CacheMechanism _cache;
    private readonly ChatHistoryCacheOptions _options;
    private readonly ProviderSessionState<ConversationReference> _state;
    private readonly JsonSerializerOptions _json;
    private readonly Func<ChatMessage, int> _estimate;
    private readonly bool _byReference;

    /// <summary>A provider over <paramref name="cache"/>.</summary>
    /// <param name="cache">Where conversations are kept; owned by the caller.</param>
    /// <param name="options">How; null for the defaults. Checked now (<see cref="ChatHistoryCacheOptions.Validate"/>).</param>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public MotadataChatHistoryProvider(CacheMechanism cache, ChatHistoryCacheOptions? options = null)
        : base(null, null, null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        _options = options ?? new ChatHistoryCacheOptions();
        _options.Validate();
        _json = _options.JsonSerializerOptions ?? AgentAbstractionsJsonUtilities.DefaultOptions;
        _estimate = _options.TokenEstimator ?? HistoryTrimmer.EstimateTokens;
        _byReference = cache.Backend == CacheBackend.Memory;
        var tenantId = _options.TenantId;
        _state = new ProviderSessionState<ConversationReference>(
            _ => new ConversationReference { ConversationId = Guid.NewGuid().ToString("N"), TenantId = tenantId },
            _options.StateKey,
            AgentAbstractionsJsonUtilities.DefaultOptions);
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> StateKeys => [_options.StateKey];

    /// <summary>The conversation <paramref name="session"/> refers to; one is started (a new id, the default tenant) if it has none.</summary>
    /// <param name="session">The agent session.</param>
    /// <returns>The reference kept in the session.</returns>
    public ConversationReference GetConversation(AgentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return _state.GetOrInitializeState(session);
    }

    /// <summary>Points <paramref name="session"/> at a known conversation (such as one id per chat window of a user), in a tenant.</summary>
    /// <param name="session">The agent session.</param>
    /// <param name="conversationId">The conversation's id; not empty.</param>
    /// <param name="tenantId">The tenant; null for the global namespace.</param>
    public void SetConversation(AgentSession session, string conversationId, string? tenantId)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentException.ThrowIfNullOrEmpty(conversationId);
        _state.SaveState(session, new ConversationReference { ConversationId = conversationId, TenantId = tenantId });
    }

    /// <summary>The key a conversation's messages are kept under, inside its tenant's namespace.</summary>
    /// <param name="conversationId">The conversation's id.</param>
    /// <returns><see cref="ChatHistoryCacheOptions.KeyPrefix"/> followed by the id.</returns>
    public string GetCacheKey(string conversationId)
    {
        ArgumentException.ThrowIfNullOrEmpty(conversationId);
        return _options.KeyPrefix + conversationId;
    }

    /// <summary>The stored messages of the session's conversation, oldest first; empty when there are none (new or expired).</summary>
    /// <param name="session">The agent session.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The messages.</returns>
    public async ValueTask<IReadOnlyList<ChatMessage>> GetMessagesAsync(AgentSession session, CancellationToken cancellationToken = default)
    {
        var conversation = GetConversation(session);
        return await ReadAsync(conversation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the session's conversation from the cache; the session keeps its reference and starts afresh.</summary>
    /// <param name="session">The agent session.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>True when there was a conversation to delete.</returns>
    public async ValueTask<bool> ClearAsync(AgentSession session, CancellationToken cancellationToken = default)
    {
        var conversation = GetConversation(session);
        return await _cache.DeleteAsync(GetCacheKey(conversation.ConversationId), conversation.TenantId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async ValueTask<IEnumerable<ChatMessage>> ProvideChatHistoryAsync(InvokingContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Session is null)
        {
            // A run without a session has no conversation to continue.
            return [];
        }

        return await ReadAsync(GetConversation(context.Session), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async ValueTask StoreChatHistoryAsync(InvokedContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Session is null)
        {
            return;
        }

        var conversation = GetConversation(context.Session);
        var stored = await ReadAsync(conversation, cancellationToken).ConfigureAwait(false);
        var messages = new List<ChatMessage>(stored.Length + 4);
        messages.AddRange(stored);
        messages.AddRange(context.RequestMessages);
        if (context.ResponseMessages is { } response)
        {
            messages.AddRange(response);
        }

        var kept = HistoryTrimmer.Trim(messages, _options.MaxMessages, _options.MaxTokens, _estimate).ToArray();
        await WriteAsync(conversation, kept, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<ChatMessage[]> ReadAsync(ConversationReference conversation, CancellationToken cancellationToken)
    {
        var key = GetCacheKey(conversation.ConversationId);
        if (_byReference)
        {
            return await _cache.GetAsync<ChatMessage[]>(key, conversation.TenantId, cancellationToken: cancellationToken).ConfigureAwait(false) ?? [];
        }

        var bytes = await _cache.GetAsync<byte[]>(key, conversation.TenantId, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return [];
        }

        return (ChatMessage[]?)JsonSerializer.Deserialize(bytes, _json.GetTypeInfo(typeof(ChatMessage[]))) ?? [];
    }

    private async ValueTask WriteAsync(ConversationReference conversation, ChatMessage[] messages, CancellationToken cancellationToken)
    {
        var key = GetCacheKey(conversation.ConversationId);
        if (_byReference)
        {
            await _cache.SetAsync(key, messages, _options.SlidingTtl, conversation.TenantId, cancellationToken).ConfigureAwait(false);
            return;
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(messages, _json.GetTypeInfo(typeof(ChatMessage[])));
        await _cache.SetAsync(key, bytes, _options.SlidingTtl, conversation.TenantId, cancellationToken).ConfigureAwait(false);
    }
}
