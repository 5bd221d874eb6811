using System.Numerics;

namespace Motadata.Cache.Stores.Backends.Memory;

/// <summary>What a <see cref="TimerWheel"/> asks when an entry's time has come.</summary>
internal interface IExpiryTarget
{
    /// <summary>Removes <paramref name="node"/> if it has expired; false when it lives (rewritten with a later expiry) or is gone already.</summary>
    bool TryExpire(MemoryNode node);
}

/// <summary>
/// A hierarchical timer wheel (Caffeine's <c>TimerWheel</c>, after Varghese and Lauck): the entries with a TTL, in
/// buckets by expiry time, so reclaiming expired entries costs in proportion to what expires, not to what is held.
/// Five levels of buckets, each level's bucket as long as a whole turn of the level below: 64 buckets of about a
/// second (2^n timestamp units, the power of two nearest above the clock's frequency), 64 of about a minute, 32 of
/// about an hour, 4 of about a day and a half, and one for the rest. An entry goes into the finest level whose turn
/// covers its time to expiry; as the wheel turns, a coarse bucket whose time has come is emptied into the finer levels
/// (each entry moves down at most four times in its life), and a due entry in a fine bucket is expired.
/// </summary>
/// <remarks>
/// <para>Driven by <see cref="Advance"/> with the store's <see cref="TimeProvider"/> time, so a fake clock moves it in
/// tests. Changed only under the store's maintenance lock.</para>
/// <para>An entry's bucket is never later than its expiry: an in-place overwrite that makes an entry live longer moves
/// no links (it happens without the maintenance lock), so the entry is met early and put back in its new bucket then;
/// one that would make it expire sooner goes through the maintenance lock and is moved (<see cref="Reschedule"/>).
/// So every due entry is met by the advance that passes its time.</para>
/// <para>Exact at each advance: besides the buckets whose time passed, the finest level's current bucket (entries due
/// within about a second either side of now) is walked, so an advance removes every entry due at that moment.</para>
/// </remarks>
internal sealed class TimerWheel
{
    private static readonly int[] s_buckets = [64, 64, 32, 4, 1];

    private readonly IntrusiveList<TimerLinks>[][] _wheel;
    private readonly int[] _shifts;
    private readonly long[] _spans;
    private long _time;

    /// <param name="timestampFrequency">The store's <see cref="TimeProvider.TimestampFrequency"/>.</param>
    /// <param name="now">The store's time now (a <see cref="TimeProvider.GetTimestamp"/> value).</param>
    public TimerWheel(long timestampFrequency, long now)
    {
        // The finest bucket: the power of two nearest at or above one second of timestamp units (2^30 ns in Caffeine).
        var shift0 = BitOperations.Log2(BitOperations.RoundUpToPowerOf2((ulong)Math.Max(2, timestampFrequency)));
        _shifts = [shift0, shift0 + 6, shift0 + 12, shift0 + 17, shift0 + 19];
        _spans = new long[_shifts.Length + 1];
        for (var i = 0; i < _shifts.Length; i++)
        {
            _spans[i] = 1L << _shifts[i];
        }

        _spans[^1] = _spans[^2];
        _wheel = new IntrusiveList<TimerLinks>[s_buckets.Length][];
        for (var i = 0; i < s_buckets.Length; i++)
        {
            _wheel[i] = new IntrusiveList<TimerLinks>[s_buckets[i]];
            for (var j = 0; j < s_buckets[i]; j++)
            {
                _wheel[i][j] = new IntrusiveList<TimerLinks>();
            }
        }

        _time = now;
    }

    /// <summary>Entries looked at by <see cref="Advance"/> since the wheel was made (expired, moved down or passed over): its work.</summary>
    public long NodesVisited { get; private set; }

    /// <summary>The length of a finest-level bucket, in timestamp units (the wheel's granularity).</summary>
    public long Granularity => _spans[0];

    /// <summary>Puts <paramref name="node"/>, which is in no bucket and has an expiry, in the bucket of its expiry.</summary>
    public void Schedule(MemoryNode node) => Bucket(Volatile.Read(ref node.ExpiresAt)).AddLast(node);

    /// <summary>Moves <paramref name="node"/> to the bucket of its (new) expiry, or out of the wheel if it has none.</summary>
    public void Reschedule(MemoryNode node)
    {
        Deschedule(node);
        if (Volatile.Read(ref node.ExpiresAt) != MemoryNode.NeverExpires)
        {
            Schedule(node);
        }
    }

    /// <summary>Takes <paramref name="node"/> out of the wheel, if it is in it.</summary>
    public static void Deschedule(MemoryNode node)
    {
        if (IntrusiveList<TimerLinks>.IsLinked(node))
        {
            IntrusiveList<TimerLinks>.Unlink(node);
        }
    }

    /// <summary>Turns the wheel to <paramref name="now"/>: expires every entry due by then, moves down the ones whose coarse bucket came up.</summary>
    public void Advance(long now, IExpiryTarget target)
    {
        var previous = _time;
        if (now <= previous)
        {
            ExpireDueIn(_wheel[0][(previous >> _shifts[0]) & (s_buckets[0] - 1)], previous, target);
            return;
        }

        _time = now;
        for (var level = 0; level < _shifts.Length; level++)
        {
            var previousTicks = previous >> _shifts[level];
            var delta = (now >> _shifts[level]) - previousTicks;
            if (delta <= 0)
            {
                break;
            }

            Expire(level, previousTicks, delta, now, target);
        }

        ExpireDueIn(_wheel[0][(now >> _shifts[0]) & (s_buckets[0] - 1)], now, target);
    }

    /// <summary>Empties the buckets of <paramref name="level"/> from the previous tick's on: due entries expire, the rest go back in.</summary>
    private void Expire(int level, long previousTicks, long delta, long now, IExpiryTarget target)
    {
        var buckets = _wheel[level];
        var mask = buckets.Length - 1;

        // From the previous tick's bucket to the current tick's: a coarse level's current bucket is emptied as its tick
        // begins (its entries due within the tick move down). The finest level's current bucket is left to
        // ExpireDueIn, which takes only its due entries (emptying it here would put the others back and visit them twice).
        var current = (int)((now >> _shifts[level]) & mask);
        var steps = (int)Math.Min(level == 0 ? delta : 1 + delta, buckets.Length);
        var start = (int)(previousTicks & mask);
        for (var i = 0; i < steps; i++)
        {
            var index = (start + i) & mask;
            if (level == 0 && index == current)
            {
                continue;
            }

            var node = buckets[index].DetachAll();
            while (node is not null)
            {
                var next = IntrusiveList<TimerLinks>.TakeNext(node);
                NodesVisited++;
                var expiresAt = Volatile.Read(ref node.ExpiresAt);
                if (expiresAt > now || !target.TryExpire(node))
                {
                    // Not due (moved down a level, or rewritten to live longer), or rewritten meanwhile: back in, unless it no longer expires.
                    if (!node.Removed && Volatile.Read(ref node.ExpiresAt) != MemoryNode.NeverExpires)
                    {
                        Schedule(node);
                    }
                }

                node = next;
            }
        }
    }

    /// <summary>Expires the due entries of one bucket, leaving the others where they are.</summary>
    private void ExpireDueIn(IntrusiveList<TimerLinks> bucket, long now, IExpiryTarget target)
    {
        var node = bucket.First;
        while (node is not null)
        {
            var next = IntrusiveList<TimerLinks>.After(node);
            NodesVisited++;
            if (Volatile.Read(ref node.ExpiresAt) <= now)
            {
                target.TryExpire(node);
            }

            node = next;
        }
    }

    /// <summary>The bucket for an expiry at <paramref name="time"/>: the finest level whose turn (from the wheel's time) covers it.</summary>
    private IntrusiveList<TimerLinks> Bucket(long time)
    {
        if (time < _time)
        {
            // Due already: the current bucket, which the next advance walks.
            return _wheel[0][(_time >> _shifts[0]) & (s_buckets[0] - 1)];
        }

        var duration = time - _time;
        for (var level = 0; level < _shifts.Length - 1; level++)
        {
            if (duration < _spans[level + 1])
            {
                return _wheel[level][(time >> _shifts[level]) & (s_buckets[level] - 1)];
            }
        }

        return _wheel[^1][0];
    }
}
