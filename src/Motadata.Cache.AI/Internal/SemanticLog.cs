namespace Motadata.Cache.AI.Internal;

/// <summary>
/// This process's append-only list of the prompts it cached for one tenant: segments of at most
/// <see cref="SegmentSize"/> entry ids under <c>{prefix}l:{writer}:{n}</c>, and the number of the last one under
/// <c>{prefix}h:{writer}</c>. Only this process writes these keys, so concurrent instances never overwrite each
/// other's list; a new prompt rewrites one segment (at most 64 ids) and the head, whatever the tenant's size.
/// </summary>
internal sealed class SemanticLog
{
    public const int SegmentSize = 64;

    private readonly Lock _lock = new();
    private readonly List<Segment> _open = [];
    private Segment? _current;
    private long _next;

    /// <summary>Held while segments are written, so an older snapshot of a segment never lands after a newer one.</summary>
    public SemaphoreSlim WriteGate { get; } = new(1, 1);

    /// <summary>Whether this log has appended anything (then this process must be listed in the tenant's registry).</summary>
    public bool HasAppended => Volatile.Read(ref _current) is not null;

    /// <summary>The latest expiry of anything appended, UTC ticks: the head's.</summary>
    public long MaxExpiresAtUtcTicks { get; private set; }

    /// <summary>Whether the first segment number has been chosen (after reading this writer's head on the server).</summary>
    public bool Started { get; private set; }

    /// <summary>Starts numbering after <paramref name="lastSegment"/>, the head found on the server (-1 for none): a process that evicted and reloads this tenant never rewrites an older segment.</summary>
    public void Start(long lastSegment)
    {
        lock (_lock)
        {
            if (!Started)
            {
                _next = lastSegment + 1;
                Started = true;
            }
        }
    }

    /// <summary>Appends <paramref name="id"/>; returns its segment and its position in it (1-based), to be written by <see cref="Pending"/>.</summary>
    public (Segment Segment, int Position) Append(string id, long expiresAtUtcTicks)
    {
        lock (_lock)
        {
            if (_current is null || _current.Ids.Count == SegmentSize)
            {
                _current = new Segment(_next++);
                _open.Add(_current);
            }

            _current.Ids.Add(id);
            _current.ExpiresAtUtcTicks = Math.Max(_current.ExpiresAtUtcTicks, expiresAtUtcTicks);
            MaxExpiresAtUtcTicks = Math.Max(MaxExpiresAtUtcTicks, expiresAtUtcTicks);
            return (_current, _current.Ids.Count);
        }
    }

    /// <summary>The segments with ids not yet written, as snapshots; the last one's number is the head.</summary>
    public List<(Segment Segment, string[] Ids, long ExpiresAtUtcTicks)> Pending()
    {
        lock (_lock)
        {
            var pending = new List<(Segment, string[], long)>(_open.Count);
            foreach (var segment in _open)
            {
                if (segment.Written < segment.Ids.Count)
                {
                    pending.Add((segment, segment.Ids.ToArray(), segment.ExpiresAtUtcTicks));
                }
            }

            return pending;
        }
    }

    /// <summary>Records that <paramref name="count"/> ids of <paramref name="segment"/> are on the server; full written segments are let go.</summary>
    public void Written(Segment segment, int count)
    {
        lock (_lock)
        {
            segment.Written = Math.Max(segment.Written, count);
            _open.RemoveAll(s => s != _current && s.Written == SegmentSize);
        }
    }

    /// <summary>After the tenant was cleared: what was listed is gone, so the next id starts a new segment (readers find it by the head).</summary>
    public void Restart()
    {
        lock (_lock)
        {
            _open.Clear();
            _current = null;
        }
    }

    public sealed class Segment(long number)
    {
        public long Number { get; } = number;

        public List<string> Ids { get; } = new(SegmentSize);

        public long ExpiresAtUtcTicks { get; set; }

        /// <summary>How many of <see cref="Ids"/> are on the server.</summary>
        public int Written { get; set; }
    }
}
