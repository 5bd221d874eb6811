using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>
/// The distributed-cache semantics on the Dragonfly backend (a real redis-server). Time is simulated on both sides:
/// the cache's clock (which the entry header's absolute expiration is checked against) is a fake one, and the TTLs
/// on the server are shortened by the same span (<see cref="ServerClock"/>), so no test waits or races the clock.
/// </summary>
public sealed class DragonflyDistributedCacheTests(RedisServerFixture redis) : DistributedCacheTests, IClassFixture<RedisServerFixture>
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _keyPrefix = $"dist{Guid.NewGuid():N}:";

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
