using Microsoft.Extensions.Caching.Distributed;
using Motadata.Cache.Tests.Contract;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>
/// ASP.NET Core's own tests of <c>RedisCache</c> (dotnet/aspnetcore <c>src/Caching/StackExchangeRedis/test</c>:
/// <c>RedisCacheSetAndRemoveTests</c>, <c>TimeExpirationTests</c> and <c>TimeExpirationAsyncTests</c>), rewritten
/// against <see cref="CacheMechanism.AsDistributedCache"/> on every backend, so code and tests written against
/// <c>RedisCache</c> keep working. Each test keeps its original's name and assertions, sync and async in one theory.
/// What differs from the originals:
/// <list type="bullet">
/// <item>They wait on the wall clock (0.5 s steps, 1 s windows). Here time moves only through
/// <see cref="AdvanceTimeAsync"/> (a fake clock; on a server, TTLs shortened there too), and every duration is scaled
/// from seconds to minutes (<see cref="Unit"/>), so a real server's TTL never runs out while a test reads.</item>
/// <item><c>*SubSecondExpirationExpiresImmediately</c>: <c>RedisCache</c> rounds a TTL down to whole seconds, so an entry
/// set to expire in 0.25 s is gone at once. Ours keeps milliseconds (right by the options' contract): the entry lives
/// its 0.25 s. Those tests assert our behaviour, on the memory backend only
/// (<see cref="MemoryRedisCacheCompatibilityTests"/>), because a real 250 ms TTL on a server cannot be read without
/// racing the clock; the TTL Dragonfly is sent is checked to the millisecond by <c>DragonflyPayloadTests</c>.</item>
/// <item><c>SlidingExpirationNotRenewedWhenDisableSlidingExpirationRefreshIsTrue</c> is not ported: it tests a
/// <c>RedisCacheOptions</c> switch that has no counterpart here.</item>
/// </list>
/// </summary>
public abstract class RedisCacheCompatibilityTests : IAsyncLifetime
{
    /// <summary>What one second of the original tests is here.</summary>
    protected static readonly TimeSpan Unit = TimeSpan.FromMinutes(1);

    private readonly List<CacheMechanism> _caches = [];

    protected abstract void ConfigureBackend(CacheConfig config);

    /// <summary>Moves this backend's clock forward by <paramref name="by"/>.</summary>
    protected abstract Task AdvanceTimeAsync(TimeSpan by);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }
    }

    /// <summary>A distributed view of a new cache on this backend, and the cache's clock.</summary>
    protected (IDistributedCache Cache, TimeProvider Time) CreateDistributedCache()
    {
        var config = new CacheConfig();
        ConfigureBackend(config);
        var cache = new CacheMechanism(config);
        _caches.Add(cache);
        return (cache.AsDistributedCache("redis-compat"), cache.TimeProvider);
    }

    protected static Task SetAsync(CallStyle style, IDistributedCache cache, string key, byte[] value, DistributedCacheEntryOptions options)
    {
        if (style == CallStyle.Async)
        {
            return cache.SetAsync(key, value, options);
        }

        cache.Set(key, value, options);
        return Task.CompletedTask;
    }

    protected static Task<byte[]?> GetAsync(CallStyle style, IDistributedCache cache, string key) =>
        style == CallStyle.Async ? cache.GetAsync(key) : Task.FromResult(cache.Get(key));

    protected static Task RemoveAsync(CallStyle style, IDistributedCache cache, string key)
    {
        if (style == CallStyle.Async)
        {
            return cache.RemoveAsync(key);
        }

        cache.Remove(key);
        return Task.CompletedTask;
    }

    /// <summary>As the originals' <c>ThrowsArgumentOutOfRange</c>: parameter name, start of the message, actual value.</summary>
    protected static async Task ThrowsArgumentOutOfRangeAsync(Func<Task> test, string paramName, string message, object actualValue)
    {
        var exception = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(test);
        Assert.Equal(paramName, exception.ParamName);
        Assert.StartsWith(message, exception.Message, StringComparison.Ordinal);
        Assert.Equal(actualValue, exception.ActualValue);
    }

    // RedisCacheSetAndRemoveTests

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task GetMissingKeyReturnsNull(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();

        Assert.Null(await GetAsync(style, cache, "non-existent-key"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task SetAndGetReturnsObject(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();
        var value = new byte[1];

        await SetAsync(style, cache, "myKey", value, new DistributedCacheEntryOptions());

        Assert.Equal(value, await GetAsync(style, cache, "myKey"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task SetAndGetWorksWithCaseSensitiveKeys(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();
        var value = new byte[1];

        await SetAsync(style, cache, "myKey", value, new DistributedCacheEntryOptions());

        Assert.Equal(value, await GetAsync(style, cache, "myKey"));
        Assert.Null(await GetAsync(style, cache, "Mykey"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task SetAlwaysOverwrites(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();
        var value1 = new byte[] { 1 };
        var value2 = new byte[] { 2 };

        await SetAsync(style, cache, "myKey", value1, new DistributedCacheEntryOptions());
        Assert.Equal(value1, await GetAsync(style, cache, "myKey"));

        await SetAsync(style, cache, "myKey", value2, new DistributedCacheEntryOptions());
        Assert.Equal(value2, await GetAsync(style, cache, "myKey"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task RemoveRemoves(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();
        var value = new byte[1];
        await SetAsync(style, cache, "myKey", value, new DistributedCacheEntryOptions());
        Assert.Equal(value, await GetAsync(style, cache, "myKey"));

        await RemoveAsync(style, cache, "myKey");

        Assert.Null(await GetAsync(style, cache, "myKey"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task SetNullValueThrows(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();

        await Assert.ThrowsAsync<ArgumentNullException>(() => SetAsync(style, cache, "myKey", null!, new DistributedCacheEntryOptions()));
    }

    // TimeExpirationTests and TimeExpirationAsyncTests

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task AbsoluteExpirationInThePastThrows(CallStyle style)
    {
        var (cache, time) = CreateDistributedCache();
        var expected = time.GetUtcNow() - TimeSpan.FromMinutes(1);

        await ThrowsArgumentOutOfRangeAsync(
            () => SetAsync(style, cache, "key", new byte[1], new DistributedCacheEntryOptions().SetAbsoluteExpiration(expected)),
            nameof(DistributedCacheEntryOptions.AbsoluteExpiration),
            "The absolute expiration value must be in the future.",
            expected);
        Assert.Null(await GetAsync(style, cache, "key"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task AbsoluteExpirationExpires(CallStyle style)
    {
        var (cache, time) = CreateDistributedCache();
        var value = new byte[1];

        // The originals pass a TimeSpan here (a relative expiration); a date exercises the absolute path itself.
        await SetAsync(style, cache, "key", value, new DistributedCacheEntryOptions().SetAbsoluteExpiration(time.GetUtcNow() + Unit));
        Assert.Equal(value, await GetAsync(style, cache, "key"));

        await AdvanceTimeAsync(Unit / 2);
        Assert.Equal(value, await GetAsync(style, cache, "key"));
        await AdvanceTimeAsync(Unit / 2);

        Assert.Null(await GetAsync(style, cache, "key"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task NegativeRelativeExpirationThrows(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();

        await ThrowsArgumentOutOfRangeAsync(
            () => SetAsync(style, cache, "key", new byte[1], new DistributedCacheEntryOptions().SetAbsoluteExpiration(TimeSpan.FromMinutes(-1))),
            nameof(DistributedCacheEntryOptions.AbsoluteExpirationRelativeToNow),
            "The relative expiration value must be positive.",
            TimeSpan.FromMinutes(-1));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task ZeroRelativeExpirationThrows(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();

        await ThrowsArgumentOutOfRangeAsync(
            () => SetAsync(style, cache, "key", new byte[1], new DistributedCacheEntryOptions().SetAbsoluteExpiration(TimeSpan.Zero)),
            nameof(DistributedCacheEntryOptions.AbsoluteExpirationRelativeToNow),
            "The relative expiration value must be positive.",
            TimeSpan.Zero);
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task RelativeExpirationExpires(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();
        var value = new byte[1];

        await SetAsync(style, cache, "key", value, new DistributedCacheEntryOptions().SetAbsoluteExpiration(Unit));
        Assert.Equal(value, await GetAsync(style, cache, "key"));

        await AdvanceTimeAsync(Unit / 2);
        Assert.Equal(value, await GetAsync(style, cache, "key"));
        await AdvanceTimeAsync(Unit / 2);

        Assert.Null(await GetAsync(style, cache, "key"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task NegativeSlidingExpirationThrows(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();

        await ThrowsArgumentOutOfRangeAsync(
            () => SetAsync(style, cache, "key", new byte[1], new DistributedCacheEntryOptions().SetSlidingExpiration(TimeSpan.FromMinutes(-1))),
            nameof(DistributedCacheEntryOptions.SlidingExpiration),
            "The sliding expiration value must be positive.",
            TimeSpan.FromMinutes(-1));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task ZeroSlidingExpirationThrows(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();

        await ThrowsArgumentOutOfRangeAsync(
            () => SetAsync(style, cache, "key", new byte[1], new DistributedCacheEntryOptions().SetSlidingExpiration(TimeSpan.Zero)),
            nameof(DistributedCacheEntryOptions.SlidingExpiration),
            "The sliding expiration value must be positive.",
            TimeSpan.Zero);
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task SlidingExpirationExpiresIfNotAccessed(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();
        var value = new byte[1];

        await SetAsync(style, cache, "key", value, new DistributedCacheEntryOptions().SetSlidingExpiration(Unit));
        Assert.Equal(value, await GetAsync(style, cache, "key"));

        await AdvanceTimeAsync(Unit * 3.5);

        Assert.Null(await GetAsync(style, cache, "key"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task SlidingExpirationRenewedByAccess(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();
        var value = new byte[1];

        await SetAsync(style, cache, "key", value, new DistributedCacheEntryOptions().SetSlidingExpiration(Unit));
        Assert.Equal(value, await GetAsync(style, cache, "key"));

        for (var i = 0; i < 5; i++)
        {
            await AdvanceTimeAsync(Unit / 2);
            Assert.Equal(value, await GetAsync(style, cache, "key"));
        }

        await AdvanceTimeAsync(Unit * 3);
        Assert.Null(await GetAsync(style, cache, "key"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task SlidingExpirationRenewedByAccessUntilAbsoluteExpiration(CallStyle style)
    {
        var (cache, _) = CreateDistributedCache();
        var value = new byte[1];

        await SetAsync(style, cache, "key", value, new DistributedCacheEntryOptions()
            .SetSlidingExpiration(Unit)
            .SetAbsoluteExpiration(Unit * 3));
        Assert.Equal(value, await GetAsync(style, cache, "key"));

        for (var i = 0; i < 5; i++)
        {
            await AdvanceTimeAsync(Unit / 2);
            var result = await GetAsync(style, cache, "key");
            Assert.NotNull(result);
            Assert.Equal(value, result);
        }

        // 4 units after the set (the originals wait until then): inside the last sliding window, past the cap of 3.
        await AdvanceTimeAsync(Unit * 1.5);
        Assert.Null(await GetAsync(style, cache, "key"));
    }
}
