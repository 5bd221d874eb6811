using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace Motadata.Cache.AI.Agents;

/// <summary>How <see cref="MotadataChatHistoryProvider"/> keeps conversations. Validated once, when the provider is built.</summary>
public sealed class ChatHistoryCacheOptions
{
    /// <summary>
    /// The tenant every conversation is kept for, fixed in code: a session whose reference names another tenant (a
    /// session blob saved for another tenant, or changed by a client) is refused when loaded, and
    /// <see cref="MotadataChatHistoryProvider.SetConversation"/> accepts only this tenant. When null (and
    /// <see cref="TenantSelector"/> is null) the tenant is not fixed: new conversations use the global namespace and
    /// a session's reference may name a tenant (set with <see cref="MotadataChatHistoryProvider.SetConversation"/>) only
    /// when references are signed (<see cref="IntegrityOptions.SigningKey"/>) or <see cref="TrustSessionTenant"/> is set.
    /// </summary>
    /// <value>Default null.</value>
    public string? TenantId { get; set; }

    /// <summary>
    /// Picks the tenant of the caller running a session (typically from the ambient request, such as the signed-in
    /// user's tenant); takes precedence over <see cref="TenantId"/>, and fixes the tenant as it does: new conversations
    /// are kept for its result, and a session whose reference names another tenant is refused. Null means no tenant
    /// (the global namespace).
    /// </summary>
    /// <value>Default null.</value>
    public Func<AgentSession, string?>? TenantSelector { get; set; }

    /// <summary>
    /// Lets a session's reference name its own tenant when nothing else vouches for it: the tenant is not fixed
    /// (<see cref="TenantId"/> and <see cref="TenantSelector"/> are null) and references are not signed (no
    /// <see cref="IntegrityOptions.SigningKey"/>). Off by default: such a provider then refuses a reference that names a tenant
    /// (and <see cref="MotadataChatHistoryProvider.SetConversation"/> with a tenant), since anyone who can hand it a
    /// session blob could name another tenant and read that tenant's history.
    /// <para><b>Unsafe when sessions travel through clients</b> (a browser, a mobile app, any caller outside your
    /// servers): set it only when serialized sessions never leave code you trust. Prefer fixing the tenant or setting a
    /// signing key.</para>
    /// </summary>
    /// <value>Default false.</value>
    public bool TrustSessionTenant { get; set; }

    /// <summary>What every conversation's key starts with, inside the tenant's namespace; must not be empty.</summary>
    /// <value>Default <c>"history:"</c>.</value>
    public string KeyPrefix { get; set; } = "history:";

    /// <summary>
    /// How long a conversation is kept after its last stored turn: every turn stored restarts the clock, so an active
    /// conversation lives on and an abandoned one expires. Must be positive.
    /// </summary>
    /// <value>Default 24 hours.</value>
    public TimeSpan SlidingTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// The most messages kept; past it the oldest turns (a user message and the answers and tool messages after it)
    /// are dropped. System messages are never dropped and do not count. Null for no limit; else at least 1.
    /// </summary>
    /// <value>Default 200.</value>
    public int? MaxMessages { get; set; } = 200;

    /// <summary>
    /// The most estimated tokens kept (see <see cref="TokenEstimator"/>); past it the oldest turns are dropped, as for
    /// <see cref="MaxMessages"/>. System messages are never dropped, but do count. Null for no limit; else at least 1.
    /// </summary>
    /// <value>Default null.</value>
    public int? MaxTokens { get; set; }

    /// <summary>Estimates the tokens of a message for <see cref="MaxTokens"/>; null for the default, about one token per four characters of text plus four a message.</summary>
    /// <value>Default null.</value>
    public Func<ChatMessage, int>? TokenEstimator { get; set; }

    /// <summary>How messages are written for a remote backend; null for the agent framework's defaults.</summary>
    /// <value>Default null.</value>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }

    /// <summary>The key of the provider's state (the <see cref="ConversationReference"/>) in a session's state bag.</summary>
    /// <value>Default <c>"MotadataChatHistoryProvider"</c>.</value>
    public string StateKey { get; set; } = nameof(MotadataChatHistoryProvider);

    /// <summary>Checks every setting; throws one <see cref="ArgumentException"/> naming each bad one.</summary>
    /// <exception cref="ArgumentException">One or more settings are out of range.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(KeyPrefix))
        {
            errors.Add("KeyPrefix is empty; give a prefix such as \"history:\".");
        }

        if (SlidingTtl <= TimeSpan.Zero)
        {
            errors.Add($"SlidingTtl is {SlidingTtl}; it must be positive.");
        }

        if (MaxMessages is < 1)
        {
            errors.Add($"MaxMessages is {MaxMessages}; it must be at least 1, or null for no limit.");
        }

        if (MaxTokens is < 1)
        {
            errors.Add($"MaxTokens is {MaxTokens}; it must be at least 1, or null for no limit.");
        }

        if (string.IsNullOrEmpty(StateKey))
        {
            errors.Add("StateKey is empty; give the key the session state is kept under.");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("The chat history cache options are not valid:" + Environment.NewLine + "- " + string.Join(Environment.NewLine + "- ", errors));
        }
    }
}
