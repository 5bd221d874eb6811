namespace Motadata.Cache.Stores.Backends.Memory;

/// <summary>
/// TinyLFU's admission rule, the one decision the eviction code asks of the policy: when the cache is full, does a
/// candidate (an entry leaving the admission window) take the place of the victim (the main region's least recently
/// used entry)?
/// </summary>
/// <remarks>
/// Only when the frequency sketch says the candidate was used more often: a tie keeps the resident, as in Caffeine and
/// BitFaster's <c>ConcurrentLfu</c>. So entries used once cannot displace one another in the main region, and a stream
/// of new keys (a scan) passes through the window without flushing what is already cached; new entries get their
/// chance in the window, whose size the climber adapts (<see cref="WindowClimber"/>): a recency-shaped workload grows
/// it until entries are reused while still in it. An earlier rule let a candidate win a tie while both were used about
/// once (LRU's order among entries never read again); it cost up to 8 points of hit ratio on the LIRS glimpse trace
/// (docs/benchmarks.md, hit ratio on real traces).
/// </remarks>
internal static class Admission
{
    public static bool Admits(int candidateFrequency, int victimFrequency) => candidateFrequency > victimFrequency;
}
