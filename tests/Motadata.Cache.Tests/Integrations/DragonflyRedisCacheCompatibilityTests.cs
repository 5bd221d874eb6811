using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>
/// <c>RedisCache</c>'s tests on the Dragonfly backend (a real redis-server), with time simulated on both sides as in
/// <see cref="DragonflyDistributedCacheTests"/>.
/// </summary>
public sealed class DragonflyRedisCacheCompatibilityTests(RedisServerFixture redis) : RedisCacheCompatibilityTests, IClassFixture<RedisServerFixture>
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _keyPrefix = $"compat{Guid.NewGuid():N}:";

    protected override void ConfigureBackend(CacheConfig config)
    {
        redis.Configure(config);
        config.KeyPrefix = _keyPrefix;
        config.TimeProvider = _time;
    }

    protected override async Task AdvanceTimeAsync(TimeSpan by)
    {
        _time.Advance(by);
        await ServerClock.AdvanceAsync(redis.Connection, redis.Server.EndPoint, _keyPrefix, by);
    }
}
