namespace Motadata.Cache.Tests.Integrations;

/// <summary>
/// Base for integration tests that run on every backend: a derived class picks the backend, and every cache a test
/// creates is disposed after it.
/// </summary>
public abstract class CacheOwningTests : IAsyncLifetime
{
    private readonly List<CacheMechanism> _caches = [];

    protected abstract void ConfigureBackend(CacheConfig config);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }
    }

    protected CacheMechanism CreateCache(Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig();
        ConfigureBackend(config);
        configure?.Invoke(config);
        var cache = new CacheMechanism(config);
        _caches.Add(cache);
        return cache;
    }
}
