using System.Threading.RateLimiting;

namespace Motadata.Cache.Server.Security;

/// <summary>
/// A token bucket on a <see cref="TimeProvider"/> (the cache's configured clock): up to <c>limit</c> permits, refilled
/// continuously at <c>perSecond</c>, computed when asked (no timer of its own). The runtime's
/// <see cref="TokenBucketRateLimiter"/> reads the machine's clock, so its refill could not be tested without waiting.
/// No queue: a request that finds too few permits is refused at once, with <see cref="MetadataName.RetryAfter"/>.
/// </summary>
/// <remarks>
/// Its <see cref="IdleDuration"/> (how long it has been full) lets the partitioned limiter that owns it remove it
/// once it has been idle for a while, so a bucket per tenant and per API key does not outlive its use.
/// </remarks>
internal sealed class ClockedTokenBucket : RateLimiter
{
    private static readonly RateLimitLease s_granted = new Lease(true, null);
    private readonly TimeProvider _time;
    private readonly int _limit;
    private readonly int _perSecond;
    private readonly Lock _gate = new();
    private double _tokens;
    private long _refilledAt;
    private long _fullAt;
    private long _granted;
    private long _refused;

    public ClockedTokenBucket(int limit, int perSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perSecond, 1);
        _limit = limit;
        _perSecond = perSecond;
        _time = time;
        _tokens = limit;
        _refilledAt = _fullAt = time.GetTimestamp();
    }

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                var now = _time.GetTimestamp();
                Refill_NeedsLock(now);
                return _tokens >= _limit ? _time.GetElapsedTime(_fullAt, now) : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            Refill_NeedsLock(_time.GetTimestamp());
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = (long)_tokens,
                CurrentQueuedCount = 0,
                TotalSuccessfulLeases = _granted,
                TotalFailedLeases = _refused,
            };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, _limit);
        lock (_gate)
        {
            Refill_NeedsLock(_time.GetTimestamp());

            // Asking for 0 permits asks whether any is left.
            // (Less a billionth of a permit: a refill summed over several calls may miss a whole by a rounding error.)
            var needed = Math.Max(permitCount, 1);
            if (_tokens >= needed - 1e-9)
            {
                _tokens = Math.Max(0, _tokens - permitCount);
                _granted++;
                return s_granted;
            }

            _refused++;
            var wait = TimeSpan.FromSeconds((needed - _tokens) / _perSecond);
            return new Lease(false, wait);
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        new(AttemptAcquireCore(permitCount));

    private void Refill_NeedsLock(long now)
    {
        if (_tokens < _limit)
        {
            var before = _tokens;
            _tokens = Math.Min(_limit, _tokens + (_time.GetElapsedTime(_refilledAt, now).TotalSeconds * _perSecond));
            if (_tokens >= _limit)
            {
                // Full since the moment the last missing permit came in, not since now.
                _fullAt = _refilledAt + (long)((_limit - before) / _perSecond * _time.TimestampFrequency);
            }
        }

        _refilledAt = now;
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (retryAfter is { } wait && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = wait;
                return true;
            }

            metadata = null;
            return false;
        }
    }
}
