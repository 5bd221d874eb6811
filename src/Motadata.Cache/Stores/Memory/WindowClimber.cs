namespace Motadata.Cache.Stores.Memory;

/// <summary>
/// Sizes the W-TinyLFU admission window by hill climbing on the hit rate, as Caffeine and BitFaster's
/// <c>ConcurrentLfu</c> do: every sample (ten times the cache's capacity in requests, the sketch's aging period) it
/// compares the sample's hit rate with the previous one's and keeps moving the window the same way if the hit rate
/// rose, the other way if it fell. The step starts at 6.25% of the capacity and decays by 2% a sample, so the window
/// settles; a change of the hit rate of 5 points or more (the workload changed) restarts it at full size.
/// </summary>
/// <remarks>
/// Not thread-safe: the store calls it under its maintenance lock. Hits are the replayed reads, misses the inserts of
/// new entries (a miss that is never followed by a write does not reach the policy, as in Caffeine).
/// </remarks>
internal sealed class WindowClimber
{
    internal const double StepPercent = 0.0625;
    internal const double StepDecayRate = 0.98;
    internal const double RestartThreshold = 0.05;

    private readonly int _capacity;
    private long _hits;
    private long _misses;
    private double _previousHitRate;
    private double _step;

    public WindowClimber(int capacity, int sampleSize)
    {
        _capacity = capacity;
        SampleSize = Math.Max(1, sampleSize);

        // The first move shrinks the window (from 1% it cannot go far): Caffeine's start.
        _step = -StepPercent * capacity;
    }

    /// <summary>Requests (hits and misses) per sample.</summary>
    public int SampleSize { get; }

    /// <summary>The hit rate of the last complete sample.</summary>
    public double PreviousHitRate => _previousHitRate;

    public void RecordHits(int count) => _hits += count;

    public void RecordMiss() => _misses++;

    /// <summary>Forgets the current sample (while the cache is filling, when hit rates say nothing of the window).</summary>
    public void ResetSample()
    {
        _hits = 0;
        _misses = 0;
    }

    /// <summary>
    /// The entries to move into the window (positive) or out of it (negative) once a sample is complete, else 0.
    /// </summary>
    public int Adjust()
    {
        var requests = _hits + _misses;
        if (requests < SampleSize)
        {
            return 0;
        }

        var hitRate = (double)_hits / requests;
        var change = hitRate - _previousHitRate;
        var amount = change >= 0 ? _step : -_step;
        _step = Math.Abs(change) >= RestartThreshold
            ? StepPercent * _capacity * (amount >= 0 ? 1 : -1)
            : StepDecayRate * amount;
        _previousHitRate = hitRate;
        ResetSample();
        return (int)amount;
    }
}
