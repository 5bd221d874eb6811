namespace Motadata.Cache.Stores.Tiers.Recovery;

/// <summary>What a journaled removal does on replay. Every kind only removes, so entries commute: order does not matter.</summary>
internal enum JournalOperation : byte
{
    /// <summary>Delete one key of the namespace.</summary>
    Delete,

    /// <summary>Remove the namespace's keys matching a glob.</summary>
    Invalidate,

    /// <summary>Remove every key of the namespace (for the global namespace, only its own keys).</summary>
    ClearNamespace,

    /// <summary>Remove everything this cache owns on the server.</summary>
    ClearAll,
}

/// <summary>
/// One removal kept while the server was unreachable. A value type with value equality, so the journal can keep
/// each distinct removal once.
/// </summary>
/// <param name="Operation">What to remove.</param>
/// <param name="TenantId">The namespace: a tenant, or null for the global namespace (ignored by <see cref="JournalOperation.ClearAll"/>).</param>
/// <param name="Text">The key (<see cref="JournalOperation.Delete"/>) or the glob (<see cref="JournalOperation.Invalidate"/>); null otherwise.</param>
internal readonly record struct JournalEntry(JournalOperation Operation, string? TenantId, string? Text)
{
    public static JournalEntry ClearAll { get; } = new(JournalOperation.ClearAll, null, null);

    /// <summary>The same removal widened to its whole namespace: what overflow turns every entry into.</summary>
    public JournalEntry Widen() =>
        Operation == JournalOperation.ClearAll ? this : new JournalEntry(JournalOperation.ClearNamespace, TenantId, null);
}
