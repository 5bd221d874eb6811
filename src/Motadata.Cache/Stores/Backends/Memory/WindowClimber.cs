namespace Motadata.Cache.Stores.Backends.Memory;

/// <summary>
/// Sizes the W-TinyLFU admission window. Two signals, both measured on the store's own requests:
/// <list type="bullet">
/// <item><b>The hill climber</b> of Caffeine and BitFaster's <c>ConcurrentLfu</c>: every sample (ten times the cache's
/// capacity in requests, the sketch's aging period) it compares the sample's hit rate with the previous one's and keeps
/// moving the window the same way if the hit rate rose, the other way if it fell. The step starts at 6.25% of the
/// capacity and decays by 2% a sample, so the window settles; a change of the hit rate of 5 points or more (the
/// workload changed) restarts it at full size. It finds the best window near where it is, but slowly (a sample is
/// ten capacities long, so a short trace or a large cache sees few of them).</item>
/// <item><b>The recency check</b>: an LRU of the same capacity run beside the cache on a hash-sampled subset of the keys
/// (<see cref="ShadowLru"/>, SHARDS-style spatial sampling, at most about 1,024 sampled keys held). On each sampled
/// request it records whether the LRU hit where the cache missed (recency would have won) or the cache hit where the
/// LRU missed (frequency won). A window of the whole cache is an LRU, so when the LRU wins significantly more often
/// over a period (about one capacity of requests) the window is too small: it grows by a share of the capacity that
/// follows how one-sided the evidence was. The comparison is paired (same requests, same moment), so it is not fooled
/// by a workload whose hit rate moves by phase, as a loop's does, which is what makes a short period safe where a
/// short hill-climbing sample is not.</item>
/// <item><b>The frequency check</b>, its mirror image: TinyLFU with no window (a second shadow that admits a new key over
/// its least recent one only if the store's sketch says it is used more often) over the same sampled keys. When it
/// beats the cache significantly, the window is too large: it shrinks by a hill-climbing step, not below 1%.</item>
/// </list>
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

    // The largest share of the capacity one recency check may add to the window (when the evidence is all one way).
    internal const double MaxRecencyStepPercent = 0.25;

    private readonly int _capacity;
    private readonly ShadowLru _shadow;
    private readonly ShadowLru _frequencyShadow;
    private readonly FrequencySketch? _sketch;
    private long _hits;
    private long _misses;
    private double _previousHitRate;
    private double _step;

    // The recency check's period: sampled requests, and those where only the LRU hit or only the cache did.
    private int _checked;
    private int _lruOnly;
    private int _cacheOnly;
    private int _tinyOnly;
    private int _cacheOnlyVsTiny;

    public WindowClimber(int capacity, int sampleSize, FrequencySketch? sketch = null)
    {
        _capacity = capacity;
        SampleSize = Math.Max(1, sampleSize);
        _shadow = new ShadowLru(capacity);
        _frequencyShadow = new ShadowLru(capacity);
        _sketch = sketch;

        // The first move shrinks the window (from 1% it cannot go far): Caffeine's start.
        _step = -StepPercent * capacity;
    }

    /// <summary>Requests (hits and misses) per sample.</summary>
    public int SampleSize { get; }

    /// <summary>The hit rate of the last complete sample.</summary>
    public double PreviousHitRate => _previousHitRate;

    /// <summary>Sampled requests per recency check (about one capacity of requests).</summary>
    public int CheckPeriod => _shadow.Capacity;

    public void RecordHits(int count) => _hits += count;

    public void RecordMiss() => _misses++;

    /// <summary>
    /// Shows one request (a replayed read, <paramref name="hit"/>, or the insert after a miss) to the recency check,
    /// which looks at it only if <paramref name="hash"/> is in its sample. Does not count it for the hill climber.
    /// </summary>
    public void Observe(int hash, bool hit)
    {
        if (!_shadow.Samples(hash))
        {
            return;
        }

        var lruHit = _shadow.Access(hash);
        if (lruHit != hit)
        {
            if (lruHit)
            {
                _lruOnly++;
            }
            else
            {
                _cacheOnly++;
            }
        }

        if (_sketch is not null)
        {
            var tinyHit = _frequencyShadow.Access(hash, _sketch);
            if (tinyHit != hit)
            {
                if (tinyHit)
                {
                    _tinyOnly++;
                }
                else
                {
                    _cacheOnlyVsTiny++;
                }
            }
        }

        _checked++;
    }

    /// <summary>Forgets the current sample (while the cache is filling, when hit rates say nothing of the window).</summary>
    public void ResetSample()
    {
        _hits = 0;
        _misses = 0;
        _checked = 0;
        _lruOnly = 0;
        _cacheOnly = 0;
        _tinyOnly = 0;
        _cacheOnlyVsTiny = 0;
    }

    /// <summary>
    /// The entries to move into the window (positive) or out of it (negative) once a recency check or a hill-climbing
    /// sample is complete, else 0.
    /// </summary>
    /// <param name="window">The window's current size: a shrink asked for by the frequency witness stops at 1% of the
    /// capacity (W-TinyLFU's classic window); the hill climber may go below it.</param>
    public int Adjust(int window = int.MaxValue)
    {
        var grow = CheckRecency();
        if (grow < 0)
        {
            grow = -Math.Min(-grow, Math.Max(0, window - Math.Max(1, _capacity / 100)));
        }

        var requests = _hits + _misses;
        if (requests < SampleSize)
        {
            return grow;
        }

        var hitRate = (double)_hits / requests;
        var change = hitRate - _previousHitRate;
        var amount = change >= 0 ? _step : -_step;
        _step = Math.Abs(change) >= RestartThreshold
            ? StepPercent * _capacity * (amount >= 0 ? 1 : -1)
            : StepDecayRate * amount;
        _previousHitRate = hitRate;
        _hits = 0;
        _misses = 0;
        return (int)amount + grow;
    }

    /// <summary>
    /// At the end of a check period: the entries to add to the window when the LRU beat the cache significantly (its
    /// wins exceed the cache's by more than two standard deviations of their difference, as in a sign test), else 0.
    /// A grow also points the hill climber's next move up, at full step.
    /// </summary>
    private int CheckRecency()
    {
        if (_checked < CheckPeriod)
        {
            return 0;
        }

        var lead = _lruOnly - _cacheOnly;
        var discordant = _lruOnly + _cacheOnly;
        var tinyLead = _tinyOnly - _cacheOnlyVsTiny;
        var tinyDiscordant = _tinyOnly + _cacheOnlyVsTiny;
        _checked = 0;
        _lruOnly = 0;
        _cacheOnly = 0;
        _tinyOnly = 0;
        _cacheOnlyVsTiny = 0;
        if (Significant(lead, discordant))
        {
            // All one way (the cache never won): a quarter of the capacity; evenly split: a hill-climbing step.
            _step = StepPercent * _capacity;
            return (int)(Math.Max(StepPercent, MaxRecencyStepPercent * lead / discordant) * _capacity);
        }

        if (Significant(tinyLead, tinyDiscordant))
        {
            // The mirror image: TinyLFU without a window beat the cache, so the window is too large.
            return -(int)(StepPercent * _capacity);
        }

        return 0;
    }

    /// <summary>A sign test: the witness won more often than the cache by over two standard deviations of the difference.</summary>
    private static bool Significant(int lead, int discordant) => lead > 0 && (long)lead * lead > 4L * discordant;

    /// <summary>
    /// An LRU of hashes over a sampled subset of the keys: a key is in the sample when the top bits of a mix of its
    /// hash are zero, one key in 2^shift, and the LRU holds capacity / 2^shift of them, so it hits where an LRU of the
    /// full capacity would (in expectation). Capacities up to 2,047 are followed whole.
    /// </summary>
    internal sealed class ShadowLru
    {
        private const int MaxHeld = 1_024;

        private readonly int _shift;
        private readonly Dictionary<int, int> _slots;
        private readonly int[] _keys;
        private readonly int[] _previous;
        private readonly int[] _next;
        private int _count;
        private int _head = -1;
        private int _tail = -1;

        public ShadowLru(int capacity)
        {
            while ((capacity >> _shift) >= 2 * MaxHeld)
            {
                _shift++;
            }

            Capacity = Math.Max(1, capacity >> _shift);
            _slots = new Dictionary<int, int>(Capacity);
            _keys = new int[Capacity];
            _previous = new int[Capacity];
            _next = new int[Capacity];
        }

        /// <summary>Sampled keys held.</summary>
        public int Capacity { get; }

        public bool Samples(int hash) => _shift == 0 || unchecked((uint)hash * 0x9E3779B9u) >> (32 - _shift) == 0;

        /// <summary>Touches <paramref name="hash"/>: true when the LRU held it; else it is added, the least recent dropped.</summary>
        public bool Access(int hash)
        {
            if (_slots.TryGetValue(hash, out var slot))
            {
                if (slot != _tail)
                {
                    Unlink(slot);
                    LinkLast(slot);
                }

                return true;
            }

            if (_count < Capacity)
            {
                slot = _count++;
            }
            else
            {
                slot = _head;
                Unlink(slot);
                _slots.Remove(_keys[slot]);
            }

            _keys[slot] = hash;
            _slots[hash] = slot;
            LinkLast(slot);
            return false;
        }

        /// <summary>
        /// As <see cref="Access(int)"/>, but a new hash takes the least recent one's place only if
        /// <paramref name="sketch"/> says it is used more often (TinyLFU with no window); else it is not kept.
        /// </summary>
        public bool Access(int hash, FrequencySketch sketch)
        {
            if (_count < Capacity || _slots.ContainsKey(hash) || sketch.Frequency(hash) > sketch.Frequency(_keys[_head]))
            {
                return Access(hash);
            }

            return false;
        }

        private void Unlink(int slot)
        {
            var previous = _previous[slot];
            var next = _next[slot];
            if (previous >= 0)
            {
                _next[previous] = next;
            }
            else
            {
                _head = next;
            }

            if (next >= 0)
            {
                _previous[next] = previous;
            }
            else
            {
                _tail = previous;
            }
        }

        private void LinkLast(int slot)
        {
            _previous[slot] = _tail;
            _next[slot] = -1;
            if (_tail >= 0)
            {
                _next[_tail] = slot;
            }
            else
            {
                _head = slot;
            }

            _tail = slot;
        }
    }
}
