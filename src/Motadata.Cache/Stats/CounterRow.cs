namespace Motadata.Cache.Stats;

/// <summary>
/// A row of the counter table: one exact count per <see cref="CounterKind"/>, added with an interlocked add. Used for
/// the kinds that change rarely (a namespace's sets and evictions, the whole cache's failures); the kinds every
/// lookup touches are striped instead (see <see cref="TenantCounters"/>).
/// </summary>
internal sealed class CounterRow
{
    private readonly long[] _counts = new long[CounterKinds.Count];

    /// <summary>The count of <paramref name="kind"/>.</summary>
    public long this[CounterKind kind] => Volatile.Read(ref _counts[(int)kind]);

    /// <summary>Adds <paramref name="amount"/> to <paramref name="kind"/>.</summary>
    public void Add(CounterKind kind, long amount = 1) => Interlocked.Add(ref _counts[(int)kind], amount);
}
