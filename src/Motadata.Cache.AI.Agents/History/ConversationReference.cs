namespace Motadata.Cache.AI.Agents;

/// <summary>
/// What an agent session keeps of a cached conversation: only where its messages live (the tenant and the conversation
/// id), never the messages. A serialized session therefore stays small, and resumes on any instance that shares the
/// cache's server, or after a restart.
/// </summary>
public sealed class ConversationReference
{
    /// <summary>The conversation's id: the last part of the key its messages are kept under.</summary>
    /// <value>Default a new GUID (32 hex digits) when the provider starts a conversation.</value>
    public required string ConversationId { get; init; }

    /// <summary>The tenant whose namespace holds the messages; null for the global namespace.</summary>
    /// <value>Default <see cref="ChatHistoryCacheOptions.TenantId"/> when the provider starts a conversation.</value>
    public string? TenantId { get; init; }
}
