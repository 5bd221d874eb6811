using System.Buffers;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>
/// <see cref="IDistributedCache"/> semantics as ASP.NET Core defines them, run on every backend. Time only moves through
/// <see cref="AdvanceTimeAsync"/> (a fake clock, and on a server TTLs shortened there), and durations are minutes, so a
/// real server's TTL can never run out while a test is reading: nothing races the wall clock.
/// </summary>
public abstract class DistributedCacheTests : IAsyncLifetime
{
    private readonly List<CacheMechanism> _caches = [];

    protected abstract void ConfigureBackend(CacheConfig config);

    /// <summary>Moves this backend's clock forward by <paramref name="by"/>.</summary>
    protected abstract Task AdvanceTimeAsync(TimeSpan by);

    protected CacheMechanism CreateCache(Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig();
        ConfigureBackend(config);
        configure?.Invoke(config);
        var cache = new CacheMechanism(config);
        _caches.Add(cache);
        return cache;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }
    }

    [Fact]
    public async Task WhenValueIsSetGetReturnsACopyOfItsBytes()
    {
        var distributed = CreateCache().AsDistributedCache("tenant_a");
        var value = new byte[] { 1, 2, 3 };

        await distributed.SetAsync("k", value, new DistributedCacheEntryOptions());
        value[0] = 99;

        Assert.Equal(new byte[] { 1, 2, 3 }, await distributed.GetAsync("k"));
        Assert.Equal(new byte[] { 1, 2, 3 }, distributed.Get("k"));
        Assert.Null(await distributed.GetAsync("missing"));
    }

    [Fact]
    public async Task WhenKeyIsRemovedGetReturnsNull()
    {
        var distributed = CreateCache().AsDistributedCache();
        distributed.Set("k", [1], new DistributedCacheEntryOptions());

        await distributed.RemoveAsync("k");

        Assert.Null(distributed.Get("k"));
    }

    [Fact]
    public async Task WhenTwoTenantsUseTheSameKeyTheyNeverSeeEachOthersValue()
    {
        var cache = CreateCache();
        var a = cache.AsDistributedCache("tenant_a");
        var b = cache.AsDistributedCache("tenant_b");

        await a.SetAsync("session", [1], new DistributedCacheEntryOptions());
        await b.SetAsync("session", [2], new DistributedCacheEntryOptions());

        Assert.Equal(new byte[] { 1 }, await a.GetAsync("session"));
        Assert.Equal(new byte[] { 2 }, await b.GetAsync("session"));
        Assert.Equal(1, cache.Clear("tenant_a"));
        Assert.Null(await a.GetAsync("session"));
        Assert.Equal(new byte[] { 2 }, await b.GetAsync("session"));
    }

    [Fact]
    public async Task WhenRelativeAbsoluteExpirationPassesTheEntryIsGone()
    {
        var distributed = CreateCache().AsDistributedCache("t");
        await distributed.SetAsync("k", [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });

        Assert.NotNull(await distributed.GetAsync("k"));
        await AdvanceTimeAsync(TimeSpan.FromMinutes(1.5));

        Assert.Null(await distributed.GetAsync("k"));
    }

    [Fact]
    public async Task WhenAbsoluteExpirationIsADateItExpiresThen()
    {
        var cache = CreateCache();
        var distributed = cache.AsDistributedCache("t");
        var at = cache.TimeProvider.GetUtcNow().AddMinutes(1);
        distributed.Set("k", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = at });

        Assert.NotNull(distributed.Get("k"));
        await AdvanceTimeAsync(TimeSpan.FromMinutes(1.5));

        Assert.Null(distributed.Get("k"));
    }

    [Fact]
    public void WhenAbsoluteExpirationIsInThePastSetThrowsAndStoresNothing()
    {
        var cache = CreateCache();
        var distributed = cache.AsDistributedCache("t");
        var past = cache.TimeProvider.GetUtcNow().AddMinutes(-1);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            distributed.Set("k", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = past }));

        // As RedisCache says it (issue 11), so code written against RedisCache keeps working.
        Assert.Equal(nameof(DistributedCacheEntryOptions.AbsoluteExpiration), error.ParamName);
        Assert.StartsWith("The absolute expiration value must be in the future.", error.Message, StringComparison.Ordinal);
        Assert.Equal(past, error.ActualValue);
        Assert.Null(distributed.Get("k"));
    }

    [Fact]
    public async Task WhenSlidingEntryIsReadItsLifeIsExtended()
    {
        var distributed = CreateCache().AsDistributedCache("t");
        await distributed.SetAsync("k", [7], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(2) });

        // Three reads 1.2 min apart: 3.6 min in all, well past the 2 min window, yet each read finds it.
        for (var i = 0; i < 3; i++)
        {
            await AdvanceTimeAsync(TimeSpan.FromMinutes(1.2));
            Assert.Equal(new byte[] { 7 }, await distributed.GetAsync("k"));
        }

        await AdvanceTimeAsync(TimeSpan.FromMinutes(2.5));
        Assert.Null(await distributed.GetAsync("k"));
    }

    [Fact]
    public async Task WhenSlidingEntryIsReadOrRefreshedNoSetIsCounted()
    {
        var cache = CreateCache();
        var distributed = cache.AsDistributedCache("t");
        await distributed.SetAsync("k", [7], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(30) });

        Assert.Equal(new byte[] { 7 }, await distributed.GetAsync("k"));
        Assert.Equal(new byte[] { 7 }, distributed.Get("k"));
        await distributed.RefreshAsync("k");
        distributed.Refresh("k");

        // One value was stored; the reads only extended its life.
        var stats = cache.GetStats("t");
        Assert.Equal((1L, 4L, 0L), (stats.Sets, stats.Hits, stats.Misses));
    }

    [Fact]
    public async Task WhenSlidingEntryIsRefreshedItsLifeIsExtendedWithoutReadingIt()
    {
        var distributed = CreateCache().AsDistributedCache("t");
        distributed.Set("k", [7], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(2) });

        await AdvanceTimeAsync(TimeSpan.FromMinutes(1.2));
        await distributed.RefreshAsync("k");
        await AdvanceTimeAsync(TimeSpan.FromMinutes(1.2));
        distributed.Refresh("k");
        await AdvanceTimeAsync(TimeSpan.FromMinutes(1.2));

        Assert.Equal(new byte[] { 7 }, distributed.Get("k"));
    }

    [Fact]
    public async Task WhenSlidingEntryHasAnAbsoluteCapReadsNeverExtendItPastTheCap()
    {
        var distributed = CreateCache().AsDistributedCache("t");
        await distributed.SetAsync("k", [7], new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(2),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(3),
        });

        await AdvanceTimeAsync(TimeSpan.FromMinutes(1.2));
        Assert.NotNull(await distributed.GetAsync("k"));
        await AdvanceTimeAsync(TimeSpan.FromMinutes(1.2));
        Assert.NotNull(await distributed.GetAsync("k"));
        await AdvanceTimeAsync(TimeSpan.FromMinutes(1.2));

        // 3.6 min after the set: the last read was 1.2 min ago (inside the sliding window) but the 3 min cap has passed.
        Assert.Null(await distributed.GetAsync("k"));
    }

    [Fact]
    public async Task WhenNoExpirationIsGivenTheEntryLivesForTheCacheDefaultTtl()
    {
        var distributed = CreateCache(c => c.Ttl = TimeSpan.FromMinutes(1)).AsDistributedCache("t");
        await distributed.SetAsync("k", [1], new DistributedCacheEntryOptions());

        Assert.NotNull(await distributed.GetAsync("k"));
        await AdvanceTimeAsync(TimeSpan.FromMinutes(1.5));

        Assert.Null(await distributed.GetAsync("k"));
    }

    [Fact]
    public async Task WhenReadThroughTheBufferInterfaceThePayloadIsWrittenToTheDestination()
    {
        var distributed = CreateCache().AsDistributedCache("t");
        var first = new byte[] { 1, 2 };
        var second = new byte[] { 3, 4, 5 };
        var sequence = TwoSegments(first, second);

        await distributed.SetAsync("k", sequence, new DistributedCacheEntryOptions());
        var destination = new ArrayBufferWriter<byte>();

        Assert.True(await distributed.TryGetAsync("k", destination));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, destination.WrittenSpan.ToArray());
        var again = new ArrayBufferWriter<byte>();
        Assert.True(distributed.TryGet("k", again));
        Assert.Equal(5, again.WrittenCount);
        Assert.False(distributed.TryGet("missing", again));
        Assert.Equal(5, again.WrittenCount);
    }

    [Fact]
    public async Task WhenAValueIsNotADistributedEntryGetTreatsItAsAMiss()
    {
        var cache = CreateCache();
        cache.Set("k", new byte[] { 1, 2, 3 }, tenantId: "t");

        Assert.Null(await cache.AsDistributedCache("t").GetAsync("k"));
    }

    [Fact]
    public async Task WhenDistributedCachingChatClientStoresIntoItRepeatedRequestsAreServedFromTheCache()
    {
        var cache = CreateCache();
        var model = new FakeChatClient();
        var client = new ChatClientBuilder(model).UseDistributedCache(cache.AsDistributedCache("tenant_ai")).Build();

        var first = await client.GetResponseAsync("hello");
        var second = await client.GetResponseAsync("hello");

        Assert.Equal(1, model.Calls);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(1, cache.GetStats("tenant_ai").Sets);
    }

    [Fact]
    public void WhenTenantIsEmptyAsDistributedCacheSaysSo()
    {
        var cache = CreateCache();

        var error = Assert.Throws<ArgumentException>(() => cache.AsDistributedCache(string.Empty));
        Assert.Equal("tenantId", error.ParamName);
    }

    private static ReadOnlySequence<byte> TwoSegments(byte[] first, byte[] second)
    {
        var head = new Segment(first, 0);
        var tail = head.Append(second);
        return new ReadOnlySequence<byte>(head, 0, tail, second.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
