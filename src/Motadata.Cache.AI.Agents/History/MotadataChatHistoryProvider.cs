using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
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
/// <para>A session is not trusted: a reference read back from it is checked every time it is used. When the tenant is
/// fixed (<see cref="ChatHistoryCacheOptions.TenantId"/> or <see cref="ChatHistoryCacheOptions.TenantSelector"/>), a
/// reference to another tenant's conversation is refused; when the cache has a <see cref="IntegrityOptions.SigningKey"/>,
/// references are signed (HMAC-SHA256 of the tenant and conversation id) and one that does not verify is refused. With
/// neither, a reference that names a tenant is refused unless <see cref="ChatHistoryCacheOptions.TrustSessionTenant"/> is
/// set (nothing would stop a client from naming another tenant). Each
/// fails with an <see cref="InvalidOperationException"/> that says why, before anything is read or written.</para>
/// </remarks>
public sealed class MotadataChatHistoryProvider : ChatHistoryProvider
{
    private readonly CacheMechanism _cache;
    private readonly ChatHistoryCacheOptions _options;
    private readonly ProviderSessionState<ConversationReference> _state;
    private readonly JsonSerializerOptions _json;
    private readonly Func<ChatMessage, int> _estimate;
    private readonly bool _byReference;
    private readonly byte[]? _signingKey;

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
        _signingKey = cache.Config.Integrity?.SigningKey;
        _state = new ProviderSessionState<ConversationReference>(
            // Called only from GetOrInitializeState(session), with the non-null session GetConversation checked.
            session => Reference(Guid.NewGuid().ToString("N"), FixedTenantOf(session!)),
            _options.StateKey,
            AgentAbstractionsJsonUtilities.DefaultOptions);
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> StateKeys => [_options.StateKey];

    /// <summary>The conversation <paramref name="session"/> refers to; one is started (a new id, the provider's tenant) if it has none.</summary>
    /// <param name="session">The agent session.</param>
    /// <returns>The reference kept in the session.</returns>
    /// <exception cref="InvalidOperationException">
    /// The session's reference names another tenant than the provider's fixed one, does not verify against the
    /// cache's <see cref="IntegrityOptions.SigningKey"/>, or names a tenant that nothing vouches for (no fixed tenant, no signing
    /// key, <see cref="ChatHistoryCacheOptions.TrustSessionTenant"/> off).
    /// </exception>
    public ConversationReference GetConversation(AgentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var conversation = _state.GetOrInitializeState(session);
        Check(session, conversation);
        return conversation;
    }

    /// <summary>Points <paramref name="session"/> at a known conversation (such as one id per chat window of a user), in a tenant.</summary>
    /// <param name="session">The agent session.</param>
    /// <param name="conversationId">The conversation's id; not empty.</param>
    /// <param name="tenantId">The tenant; null for the global namespace. When the provider's tenant is fixed, it must be that tenant.</param>
    /// <exception cref="ArgumentException">
    /// <paramref name="conversationId"/> is empty, or <paramref name="tenantId"/> is not the provider's fixed tenant, or
    /// names a tenant while the tenant is not fixed, references are not signed and <see cref="ChatHistoryCacheOptions.TrustSessionTenant"/> is off.
    /// </exception>
    public void SetConversation(AgentSession session, string conversationId, string? tenantId)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentException.ThrowIfNullOrEmpty(conversationId);
        if (IsTenantFixed && FixedTenantOf(session) is var fixedTenant && !string.Equals(tenantId, fixedTenant, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"The tenant is {Describe(tenantId)}, but this provider's tenant is fixed in code ({Describe(fixedTenant)}): a session cannot be "
                + "pointed at another tenant's conversation. Pass that tenant, or leave TenantId and TenantSelector unset to let sessions name theirs.",
                nameof(tenantId));
        }

        if (tenantId is not null && !IsSessionTenantVouchedFor)
        {
            throw new ArgumentException(UnvouchedTenantMessage($"The tenant is {Describe(tenantId)}"), nameof(tenantId));
        }

        _state.SaveState(session, Reference(conversationId, tenantId));
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

    private bool IsTenantFixed => _options.TenantSelector is not null || _options.TenantId is not null;

    /// <summary>
    /// True when a tenant named by a session's reference may be used: the tenant is fixed (it is checked against it),
    /// references are signed (the signature is checked), or the caller opted in (<see cref="ChatHistoryCacheOptions.TrustSessionTenant"/>).
    /// </summary>
    private bool IsSessionTenantVouchedFor => IsTenantFixed || _signingKey is not null || _options.TrustSessionTenant;

    private static string UnvouchedTenantMessage(string subject) =>
        subject + ", but this provider has no fixed tenant (ChatHistoryCacheOptions.TenantId or TenantSelector) and the cache does not sign "
        + "references (CacheConfig.Integrity.SigningKey): a session names its tenant itself, so a client could name another tenant and read its history. "
        + "Fix the tenant, set a signing key, or, only if serialized sessions never pass through clients, set ChatHistoryCacheOptions.TrustSessionTenant.";

    /// <summary>The tenant the caller's code fixes for <paramref name="session"/>: the selector's, else <see cref="ChatHistoryCacheOptions.TenantId"/>.</summary>
    private string? FixedTenantOf(AgentSession session) =>
        _options.TenantSelector is { } selector ? selector(session) : _options.TenantId;

    private ConversationReference Reference(string conversationId, string? tenantId) => new()
    {
        ConversationId = conversationId,
        TenantId = tenantId,
        Signature = _signingKey is null ? null : Sign(conversationId, tenantId),
    };

    /// <summary>Refuses a reference that a client changed (it does not verify) or that belongs to another tenant than the fixed one.</summary>
    private void Check(AgentSession session, ConversationReference conversation)
    {
        if (string.IsNullOrEmpty(conversation.ConversationId))
        {
            throw new InvalidOperationException("The session's conversation reference has no conversation id: it was not written by this provider. Start a new session.");
        }

        if (_signingKey is not null && !Verifies(conversation))
        {
            throw new InvalidOperationException(
                $"The session's conversation reference (conversation \"{conversation.ConversationId}\", tenant {Describe(conversation.TenantId)}) "
                + (string.IsNullOrEmpty(conversation.Signature) ? "is not signed" : "does not match its signature")
                + ", and this cache signs references (CacheConfig.Integrity.SigningKey): it was changed outside the provider, or saved by a cache "
                + "with another signing key or none. It is not loaded; start a new session.");
        }

        if (conversation.TenantId is not null && !IsSessionTenantVouchedFor)
        {
            throw new InvalidOperationException(UnvouchedTenantMessage(
                $"The session's conversation reference (conversation \"{conversation.ConversationId}\") names tenant {Describe(conversation.TenantId)}")
                + " It is not loaded.");
        }

        if (IsTenantFixed)
        {
            var fixedTenant = FixedTenantOf(session);
            if (!string.Equals(conversation.TenantId, fixedTenant, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"The session's conversation belongs to tenant {Describe(conversation.TenantId)}, but this provider's tenant is fixed in code "
                    + $"({Describe(fixedTenant)}): a session saved for one tenant cannot be resumed by another. Start a new session for this tenant.");
            }
        }
    }

    private static string Describe(string? tenantId) => tenantId is null ? "the global namespace" : $"\"{tenantId}\"";

    /// <summary>The lower-case hex HMAC-SHA256 of the tenant (length-prefixed, so no two pairs write the same text) and the conversation id.</summary>
    private string Sign(string conversationId, string? tenantId)
    {
        var text = string.Concat("motadata.cache.conversation-reference/1\n", (tenantId?.Length ?? -1).ToString(System.Globalization.CultureInfo.InvariantCulture), ":", tenantId, "\n", conversationId);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_signingKey, Encoding.UTF8.GetBytes(text), mac);
        return Convert.ToHexStringLower(mac);
    }

    private bool Verifies(ConversationReference conversation)
    {
        if (conversation.Signature is not { Length: HMACSHA256.HashSizeInBytes * 2 } signature)
        {
            return false;
        }

        var expected = Sign(conversation.ConversationId, conversation.TenantId);
        return CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(expected.AsSpan()), MemoryMarshal.AsBytes(signature.AsSpan()));
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
