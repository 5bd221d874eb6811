using Motadata.Cache.Tests.Dragonfly;

namespace Motadata.Cache.Tests.TwoLevel;

/// <summary>Several caches with the local level on, sharing one real <c>redis-server</c> and one key prefix: instances of one fleet.</summary>
public abstract class TwoLevelTestsBase : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    // Generous: only so that a broken backplane fails the test instead of hanging it, never a timing assumption.
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly List<CacheMechanism> _caches = [];

    protected TwoLevelTestsBase(RedisServerFixture fixture) => Fixture = fixture;

    protected RedisServerFixture Fixture { get; }

    protected string Prefix { get; } = RedisServerFixture.UniquePrefix("twolevel");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }
    }

    protected CacheMechanism CreateInstance(Action<CacheConfig>? configure = null) => CreateInstance(configure, backplane: null);

    /// <summary>An instance whose local level talks over <paramref name="backplane"/> (null: Redis pub/sub on the server).</summary>
    private protected CacheMechanism CreateInstance(Action<CacheConfig>? configure, Stores.Tiers.TwoLevel.IBackplane? backplane)
    {
        var config = new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = Fixture.Server.Url,
            KeyPrefix = Prefix,
            EnableLocalLevel = true,
            EnableRecovery = false,
            OperationTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(config);
        var cache = new CacheMechanism(config, backplane);
        _caches.Add(cache);
        return cache;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails after <see cref="Patience"/>.</summary>
    protected static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(5);
        }
    }

    /// <summary>Reads <paramref name="key"/> until the local level answers it (a local hit is counted), failing after <see cref="Patience"/>.</summary>
    protected static async Task<T?> ReadUntilLocalAsync<T>(CacheMechanism cache, string key, string? tenantId)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var before = LocalHits(cache, tenantId);
            var value = cache.Get<T>(key, tenantId);
            if (LocalHits(cache, tenantId) > before)
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, $"'{key}' of tenant '{tenantId}' never came from the local level.");
            await Task.Delay(5);
        }
    }

    protected static long LocalHits(CacheMechanism cache, string? tenantId) => cache.GetStats(tenantId).LocalHits;
}
