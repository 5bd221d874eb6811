namespace Motadata.Cache.AI.Agents;

/// <summary>
/// What an agent session keeps of a cached conversation: only where its messages live (the tenant and the conversation
/// id), never the messages. A serialized session therefore stays small, and resumes on any instance that shares the
/// cache's server, or after a restart.
/// </summary>
/// <remarks>
/// A session travels through clients, so the provider does not trust the reference it reads back: when its tenant is
/// fixed (<see cref="ChatHistoryCacheOptions.TenantId"/> or <see cref="ChatHistoryCacheOptions.TenantSelector"/>) a
/// reference to another tenant's conversation is refused, and when the cache has a
/// <see cref="IntegrityOptions.SigningKey"/> a reference whose <see cref="Signature"/> does not match is refused.
/// </remarks>
public sealed class ConversationReference
{
    /// <summary>The conversation's id: the last part of the key its messages are kept under.</summary>
    /// <value>Default a new GUID (32 hex digits) when the provider starts a conversation.</value>
    public required string ConversationId { get; init; }

    /// <summary>The tenant whose namespace holds the messages; null for the global namespace.</summary>
    /// <value>Default <see cref="ChatHistoryCacheOptions.TenantId"/> when the provider starts a conversation.</value>
    public string? TenantId { get; init; }

    /// <summary>
    /// The HMAC-SHA256 (64 hex digits) of <see cref="TenantId"/> and <see cref="ConversationId"/>, keyed with the
    /// cache's <see cref="IntegrityOptions.SigningKey"/>, written by the provider when the cache has one; null otherwise.
    /// A reference changed outside the provider (another tenant, another conversation) no longer matches it.
    /// </summary>
    /// <value>Default null; set by the provider.</value>
    public string? Signature { get; init; }
}
