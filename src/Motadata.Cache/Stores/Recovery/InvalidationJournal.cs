namespace Motadata.Cache.Stores.Recovery;

/// <summary>
/// The removals (delete, invalidate, clear) made while the server could not be reached, kept to be replayed on it
/// before anything is read from it again. Bounded: past <c>capacity</c> distinct entries it overflows, and every
/// entry is widened to a clear of its whole namespace (past <c>capacity</c> namespaces, to a clear of everything),
/// because a cold cache is acceptable and a stale one is not.
/// </summary>
/// <remarks>
/// Not thread-safe: the owning <see cref="RecoveringStore"/> calls it under its lock. Entries only remove, so they
/// commute, and replaying one twice is harmless.
/// </remarks>
internal sealed class InvalidationJournal
{
    private readonly int _capacity;
    private List<JournalEntry> _entries = [];

    // The entries not yet handed to a replay, for de-duplication. An entry being replayed is not here, so the same
    // removal made again during the replay is kept again: the replay may have run before the caller's call.
    private HashSet<JournalEntry> _pending = [];

    // How many replays of each entry failed while the server otherwise answered.
    private readonly Dictionary<JournalEntry, int> _failedReplays = [];

    public InvalidationJournal(int capacity) => _capacity = capacity;

    /// <summary>Entries waiting for replay, including any being replayed now.</summary>
    public int Count => _entries.Count;

    /// <summary>True once the journal has overflowed, until it has been replayed in full.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>Bumped whenever the entries are rewritten, so a replay that started before does not remove entries it did not apply.</summary>
    public int Generation { get; private set; }

    /// <summary>Keeps <paramref name="entry"/>; returns true when this call made the journal overflow.</summary>
    public bool Add(JournalEntry entry)
    {
        if (_entries.Count == 1 && _entries[0] == JournalEntry.ClearAll && _pending.Contains(JournalEntry.ClearAll))
        {
            // Everything is going to be cleared anyway.
            return false;
        }

        if (entry.Operation == JournalOperation.ClearAll)
        {
            Replace([JournalEntry.ClearAll]);
            return false;
        }

        if (Overflowed)
        {
            entry = entry.Widen();
        }

        if (_pending.Contains(entry))
        {
            return false;
        }

        if (_entries.Count < _capacity)
        {
            _entries.Add(entry);
            _pending.Add(entry);
            return false;
        }

        var overflowedNow = !Overflowed;
        Overflow(entry);
        return overflowedNow;
    }

    /// <summary>Hands every entry to a replay; they stay counted until <see cref="Complete"/> removes them.</summary>
    public JournalEntry[] TakeSnapshot()
    {
        var snapshot = _entries.ToArray();
        _pending.Clear();
        return snapshot;
    }

    /// <summary>Notes one more failed replay of <paramref name="entry"/> while the server answered; returns how many so far.</summary>
    public int CountFailedReplay(JournalEntry entry)
    {
        var failures = _failedReplays.GetValueOrDefault(entry) + 1;
        _failedReplays[entry] = failures;
        return failures;
    }

    /// <summary>
    /// Settles the snapshot taken at <paramref name="generation"/>: <paramref name="outcomes"/> says, entry by entry,
    /// whether it was applied (removed), abandoned (removed), widened to its namespace (replaced), or failed (kept).
    /// Entries kept become pending again. A snapshot of an older generation (the journal overflowed meanwhile and
    /// was rewritten) changes nothing: every entry of the rewritten journal is replayed again.
    /// </summary>
    public void Complete(ReadOnlySpan<ReplayOutcome> outcomes, int generation)
    {
        if (generation == Generation)
        {
            // The snapshot is the start of the list (entries are only appended between snapshots), so indexes match.
            for (var i = Math.Min(outcomes.Length, _entries.Count) - 1; i >= 0; i--)
            {
                switch (outcomes[i])
                {
                    case ReplayOutcome.Applied or ReplayOutcome.Abandoned:
                        _failedReplays.Remove(_entries[i]);
                        _entries.RemoveAt(i);
                        break;
                    case ReplayOutcome.Widened:
                        _failedReplays.Remove(_entries[i]);
                        _entries[i] = _entries[i].Widen();
                        break;
                }
            }
        }

        _pending = [.. _entries];
        if (_entries.Count == 0)
        {
            Overflowed = false;
        }
    }

    private void Overflow(JournalEntry entry)
    {
        Overflowed = true;
        var namespaces = new HashSet<JournalEntry>();
        foreach (var existing in _entries)
        {
            namespaces.Add(existing.Widen());
        }

        namespaces.Add(entry.Widen());
        if (namespaces.Contains(JournalEntry.ClearAll) || namespaces.Count > _capacity)
        {
            Replace([JournalEntry.ClearAll]);
            return;
        }

        Replace([.. namespaces]);
    }

    private void Replace(List<JournalEntry> entries)
    {
        _failedReplays.Clear();
        _entries = entries;
        _pending = [.. entries];
        Generation++;
    }
}
