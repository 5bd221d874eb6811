using Microsoft.Extensions.Caching.Distributed;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>
/// A sliding read refreshes an entry's life after reading it. A Remove or Set that lands in between must win: the
/// refresh may extend the entry it read, never bring it back nor overwrite a newer value. The clock is the hook
/// that lands the other call in between, since the adapter reads it between the read and the refresh.
/// </summary>
public sealed class MemoryDistributedCacheRaceTests : IDisposable
{
    private static readonly DistributedCacheEntryOptions Sliding = new() { SlidingExpiration = TimeSpan.FromMinutes(5) };

    private readonly HookedClock _clock = new();
    private readonly CacheMechanism _cache;
    private readonly IBufferDistributedCache _distributed;

    public MemoryDistributedCacheRaceTests()
    {
        _cache = CacheMechanism.CreateMemory(configure: c => c.TimeProvider = _clock);
        _distributed = _cache.AsDistributedCache("t");
    }

    public void Dispose() => _cache.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WhenARemoveLandsDuringASlidingReadTheEntryStaysRemoved(bool useAsync)
    {
        _distributed.Set("k", [1], Sliding);
        _clock.BeforeNextRead = () => _distributed.Remove("k");

        var read = useAsync ? await _distributed.GetAsync("k") : _distributed.Get("k");

        Assert.Equal(new byte[] { 1 }, read);
        Assert.False(_cache.TryGet<byte[]>("k", out _, "t"), "the refresh brought back a removed entry");
        Assert.Null(_distributed.Get("k"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WhenASetLandsDuringASlidingReadTheNewerValueStays(bool useAsync)
    {
        _distributed.Set("k", [1], Sliding);
        _clock.BeforeNextRead = () => _distributed.Set("k", [2], Sliding);

        var read = useAsync ? await _distributed.GetAsync("k") : _distributed.Get("k");

        Assert.Equal(new byte[] { 1 }, read);
        Assert.Equal(new byte[] { 2 }, _distributed.Get("k"));
    }

    [Fact]
    public void WhenNothingInterferesASlidingReadStillExtendsTheEntry()
    {
        _distributed.Set("k", [1], Sliding);
        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(new byte[] { 1 }, _distributed.Get("k"));

        _clock.Advance(TimeSpan.FromMinutes(4));

        Assert.Equal(new byte[] { 1 }, _distributed.Get("k"));
        _clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Null(_distributed.Get("k"));
    }

    /// <summary>A movable clock that runs one action the next time someone reads the wall-clock time.</summary>
    private sealed class HookedClock : TimeProvider
    {
        private long _offsetTicks;

        public Action? BeforeNextRead { get; set; }

        public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

        public override DateTimeOffset GetUtcNow()
        {
            var hook = BeforeNextRead;
            BeforeNextRead = null;
            hook?.Invoke();
            return System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));
        }

        public override long GetTimestamp() =>
            System.GetTimestamp() + (long)(Interlocked.Read(ref _offsetTicks) * (TimestampFrequency / (double)TimeSpan.TicksPerSecond));
    }
}
