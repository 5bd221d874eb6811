using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Tests.Contract;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>
/// <c>RedisCache</c>'s tests on the memory backend with a fake clock, plus the sub-second cases, where ours differs
/// from <c>RedisCache</c> on purpose (see <see cref="RedisCacheCompatibilityTests"/>).
/// </summary>
public sealed class MemoryRedisCacheCompatibilityTests : RedisCacheCompatibilityTests
{
    private static readonly TimeSpan s_subSecond = TimeSpan.FromSeconds(0.25);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    protected override void ConfigureBackend(CacheConfig config) => config.TimeProvider = _time;

    protected override Task AdvanceTimeAsync(TimeSpan by)
    {
        _time.Advance(by);
        return Task.CompletedTask;
    }

    // RedisCache: the entry is gone at once (its 0.25 s TTL rounds down to 0). Ours: it lives exactly 0.25 s.

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public Task AbsoluteSubSecondExpirationLivesItsFullTtlUnlikeRedisCache(CallStyle style) =>
        AssertLivesExactlyAsync(style, new DistributedCacheEntryOptions().SetAbsoluteExpiration(_time.GetUtcNow() + s_subSecond), slides: false);

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public Task RelativeSubSecondExpirationLivesItsFullTtlUnlikeRedisCache(CallStyle style) =>
        AssertLivesExactlyAsync(style, new DistributedCacheEntryOptions().SetAbsoluteExpiration(s_subSecond), slides: false);

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public Task SlidingSubSecondExpirationLivesItsFullTtlUnlikeRedisCache(CallStyle style) =>
        AssertLivesExactlyAsync(style, new DistributedCacheEntryOptions().SetSlidingExpiration(s_subSecond), slides: true);

    private async Task AssertLivesExactlyAsync(CallStyle style, DistributedCacheEntryOptions options, bool slides)
    {
        var (cache, _) = CreateDistributedCache();
        var value = new byte[1];

        await SetAsync(style, cache, "key", value, options);

        Assert.Equal(value, await GetAsync(style, cache, "key"));
        await AdvanceTimeAsync(s_subSecond - TimeSpan.FromMilliseconds(1));
        if (!slides)
        {
            // A read would extend a sliding entry's life; the others are still there a millisecond before the end.
            Assert.Equal(value, await GetAsync(style, cache, "key"));
        }

        await AdvanceTimeAsync(TimeSpan.FromMilliseconds(1));
        Assert.Null(await GetAsync(style, cache, "key"));
    }
}
