namespace Motadata.Cache.Stores.Tiers.Recovery;

// What a cluster needs when a primary leaves (failover, removal): the departed primary's recovery hands its journal
// to the new owner of its slots and forwards whatever it is still asked to journal; the new owner adopts the entries
// (and stops reading its server until they are replayed there). See Cluster.ClusterStore.
internal sealed partial class RecoveringStore
{
    // Set once this store's node is no longer a primary: every removal it would journal goes there instead.
    private Action<JournalEntry>? _successor;

    /// <summary>
    /// Retires this store: from now on every removal it would journal goes to <paramref name="successor"/>, its reads
    /// stop reaching the server (a read routed here before the retirement misses), and its recovery loop ends. Returns
    /// every entry left to replay (including any being replayed now), for the new owner to adopt. Dispose it after.
    /// </summary>
    internal JournalEntry[] Retire(Action<JournalEntry> successor)
    {
        lock (_sync)
        {
            _successor = successor;
            _retired = true;
            return _journal.TakeSnapshot();
        }
    }

    /// <summary>Removals journaled here and not replayed yet (a copy), for a slot's new owner to adopt too.</summary>
    internal JournalEntry[] PendingJournalEntries()
    {
        lock (_sync)
        {
            // Not TakeSnapshot + Complete: that would mark the entries of a replay in flight pending again, so the
            // same removal journaled again during that replay would be dropped as a duplicate, then settled away.
            return _journal.Copy();
        }
    }

    /// <summary>
    /// Takes <paramref name="entries"/> (another node's removals, for slots this node now owns) into this journal, so
    /// they are replayed here before anything is read from this node again.
    /// </summary>
    internal void Adopt(IReadOnlyList<JournalEntry> entries)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            Journal(entries[i], null);
        }
    }
}
