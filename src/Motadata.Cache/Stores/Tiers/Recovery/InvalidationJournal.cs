namespace Motadata.Cache.Stores.Tiers.Recovery;

/// <summary>
/// The removals (delete, invalidate, clear) made while the server could not be reached, kept to be replayed on it
/// before anything is read from it again. Bounded, per namespace and in all: a namespace that reaches its budget
/// (a quarter of <c>capacity</c>, at least one entry) has its own entries widened to one clear of its namespace, and
/// when the whole journal is full the namespace holding the most entries is widened, so a tenant that floods the
/// journal widens only its own removals and every other tenant's stay exact. Only when every namespace holds a
/// single entry and they still do not fit does the journal fall back to a clear of everything: a cold cache is
/// acceptable, a stale one is not.
/// </summary>
/// <remarks>
/// Not thread-safe: the owning <see cref="RecoveringStore"/> calls it under its lock. Entries only remove, so they
/// commute, and replaying one twice is harmless.
/// </remarks>
internal sealed class InvalidationJournal
{
    private readonly int _capacity;
    private readonly int _namespaceBudget;
    private List<JournalEntry> _entries = [];

    // How many entries each namespace holds in _entries (recounted whenever the list is rewritten).
    private Dictionary<Namespace, int> _perNamespace = [];

    // The entries not yet handed to a replay, for de-duplication. An entry being replayed is not here, so the same
    // removal made again during the replay is kept again: the replay may have run before the caller's call.
    private HashSet<JournalEntry> _pending = [];

    // How many replays of each entry failed while the server otherwise answered.
    private readonly Dictionary<JournalEntry, int> _failedReplays = [];

    /// <param name="capacity">The most entries kept in all.</param>
    /// <param name="namespaceBudget">The most entries one namespace keeps before its own are widened; default a quarter of <paramref name="capacity"/> (at least one).</param>
    public InvalidationJournal(int capacity, int? namespaceBudget = null)
    {
        _capacity = capacity;
        _namespaceBudget = Math.Clamp(namespaceBudget ?? capacity / 4, 1, capacity);
    }

    /// <summary>Entries waiting for replay, including any being replayed now.</summary>
    public int Count => _entries.Count;

    /// <summary>True once a namespace (or the whole journal) has been widened, until the journal has been replayed in full.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>Bumped whenever the entries are rewritten, so a replay that started before does not remove entries it did not apply.</summary>
    public int Generation { get; private set; }

    /// <summary>Keeps <paramref name="entry"/>; returns true when this call widened a namespace (or everything).</summary>
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

        // A pending clear of the namespace covers any removal in it.
        if (_pending.Contains(entry) || _pending.Contains(entry.Widen()))
        {
            return false;
        }

        var space = new Namespace(entry.TenantId);
        var widened = false;
        if (_perNamespace.GetValueOrDefault(space) >= _namespaceBudget)
        {
            // Over its own budget: this namespace's removals become one clear of it; no other namespace changes.
            WidenNamespace(space);
            widened = true;
            if (_pending.Contains(entry.Widen()))
            {
                return true;
            }
        }

        while (_entries.Count >= _capacity)
        {
            // Full: the namespace holding the most entries gives them up first (likely the one flooding).
            var (largest, count) = Largest();
            if (count <= 1)
            {
                WidenEverything(entry);
                return true;
            }

            WidenNamespace(largest);
            widened = true;
            if (_pending.Contains(entry) || _pending.Contains(entry.Widen()))
            {
                return true;
            }
        }

        Append(entry);
        return widened;
    }

    /// <summary>Hands every entry to a replay; they stay counted until <see cref="Complete"/> removes them.</summary>
    public JournalEntry[] TakeSnapshot()
    {
        var snapshot = _entries.ToArray();
        _pending.Clear();
        return snapshot;
    }

    /// <summary>A copy of every entry (including any being replayed now), changing nothing: not a hand-over to a replay.</summary>
    public JournalEntry[] Copy() => _entries.ToArray();

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
    /// Entries kept become pending again. A snapshot of an older generation (a namespace was widened meanwhile and
    /// the list rewritten) changes nothing: every entry of the rewritten journal is replayed again.
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
        Recount();
        if (_entries.Count == 0)
        {
            Overflowed = false;
        }
    }

    private void Append(JournalEntry entry)
    {
        _entries.Add(entry);
        _pending.Add(entry);
        var space = new Namespace(entry.TenantId);
        _perNamespace[space] = _perNamespace.GetValueOrDefault(space) + 1;
    }

    private (Namespace Space, int Count) Largest()
    {
        var largest = (default(Namespace), 0);
        foreach (var (space, count) in _perNamespace)
        {
            if (count > largest.Item2)
            {
                largest = (space, count);
            }
        }

        return largest;
    }

    private void WidenNamespace(Namespace space)
    {
        Overflowed = true;
        var kept = new List<JournalEntry>(_entries.Count);
        foreach (var existing in _entries)
        {
            // A clear of everything has no namespace (its TenantId is null, like the global namespace's): keep it.
            if (existing.Operation == JournalOperation.ClearAll || new Namespace(existing.TenantId) != space)
            {
                kept.Add(existing);
            }
        }

        kept.Add(new JournalEntry(JournalOperation.ClearNamespace, space.TenantId, null));
        Replace(kept);
    }

    private void WidenEverything(JournalEntry entry)
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
        Recount();
        Generation++;
    }

    private void Recount()
    {
        var counts = new Dictionary<Namespace, int>();
        foreach (var entry in _entries)
        {
            if (entry.Operation != JournalOperation.ClearAll)
            {
                var space = new Namespace(entry.TenantId);
                counts[space] = counts.GetValueOrDefault(space) + 1;
            }
        }

        _perNamespace = counts;
    }

    /// <summary>A namespace as a dictionary key: a tenant, or the global namespace (null).</summary>
    private readonly record struct Namespace(string? TenantId);
}
