using Motadata.Cache.Keys;

namespace Motadata.Cache.Stores.Tiers.TwoLevel;

/// <summary>
/// Change counters that keep a slow fill from putting an old value into the local level after an invalidation
/// passed it. A fill (or a write's local update) notes the generation of its key's stripe and the global one before
/// going to the server, and lands only if neither moved, checked again after it landed (and undone if one did). A key
/// change moves its stripe; a pattern, tenant or full invalidation and a safety flush move the global one.
/// </summary>
internal sealed class LocalGenerations
{
    private const int StripeCount = 4096;

    // Padding is not worth it here: these move on writes and invalidations, not on hits.
    private readonly long[] _stripes = new long[StripeCount];
    private long _global;

    public static int StripeOf(in CacheKey key) => key.GetHashCode() & (StripeCount - 1);

    public Snapshot Take(int stripe) => new(Volatile.Read(ref _global), Volatile.Read(ref _stripes[stripe]));

    /// <summary>True when nothing that covers <paramref name="stripe"/> changed since <paramref name="snapshot"/>.</summary>
    public bool Unchanged(int stripe, Snapshot snapshot) =>
        Volatile.Read(ref _global) == snapshot.Global && Volatile.Read(ref _stripes[stripe]) == snapshot.Stripe;

    /// <summary>Moves the stripe's generation; returns the new one.</summary>
    public long Bump(int stripe) => Interlocked.Increment(ref _stripes[stripe]);

    public void BumpAll() => Interlocked.Increment(ref _global);

    public readonly record struct Snapshot(long Global, long Stripe);
}
