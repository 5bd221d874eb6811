using Microsoft.Extensions.Time.Testing;

namespace Motadata.Cache.Tests.Memory;

/// <summary>
/// Races made deterministic: a clock that runs a callback the next time the store reads it, so a second operation
/// lands exactly between a read of an entry's expiry and what the store does with it.
/// </summary>
public sealed class MemoryRaceTests : IDisposable
{
    private readonly HookedTime _time = new();
    private readonly CacheMechanism _cache;

    public MemoryRaceTests() =>
        _cache = new CacheMechanism(new CacheConfig { TimeProvider = _time, ExpirationScanInterval = TimeSpan.FromDays(1) });

    public void Dispose() => _cache.Dispose();

    [Fact]
    public void WhenAnExpiredEntryIsRewrittenWhileAReaderRemovesItTheNewValueSurvives()
    {
        _cache.Set("k", "old", TimeSpan.FromSeconds(1));
        _time.Fake.Advance(TimeSpan.FromSeconds(2));

        // The reader has seen the old entry's expiry; before it removes the entry, a writer brings it back to life.
        _time.OnNextTimestamp = () => _cache.Set("k", "new", Timeout.InfiniteTimeSpan);
        Assert.False(_cache.TryGet<string>("k", out _));

        Assert.Equal("new", _cache.Get<string>("k"));
        Assert.Equal(1, _cache.GetStats().Size);
        Assert.Equal(0, _cache.GetStats().Expirations);
    }

    [Fact]
    public void WhenAnExpiredEntryIsRewrittenWhileADeleteCountsItTheNewValueIsDeletedAndCounted()
    {
        _cache.Set("k", "old", TimeSpan.FromSeconds(1));
        _time.Fake.Advance(TimeSpan.FromSeconds(2));

        _time.OnNextTimestamp = () => _cache.Set("k", "new", Timeout.InfiniteTimeSpan);
        var deleted = _cache.Delete("k");

        // Either order is fine (delete then set, or set then delete), but the cache must agree with what it returned.
        Assert.Equal(!deleted, _cache.TryGet<string>("k", out _));
        Assert.Equal(deleted ? 0 : 1, _cache.GetStats().Size);
    }

    /// <summary>A fake clock that runs <see cref="OnNextTimestamp"/> once, the next time a timestamp is read.</summary>
    private sealed class HookedTime : TimeProvider
    {
        public FakeTimeProvider Fake { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

        public Action? OnNextTimestamp { get; set; }

        public override long TimestampFrequency => Fake.TimestampFrequency;

        public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

        public override long GetTimestamp()
        {
            var hook = OnNextTimestamp;
            OnNextTimestamp = null;
            hook?.Invoke();
            return Fake.GetTimestamp();
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            Fake.CreateTimer(callback, state, dueTime, period);
    }
}
