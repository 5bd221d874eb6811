using Microsoft.Extensions.Time.Testing;

namespace Motadata.Cache.Tests.Memory;

/// <summary>Memory-backend caches on one fake clock, disposed with the test.</summary>
public abstract class MemoryCacheFixture : IDisposable
{
    private readonly List<CacheMechanism> _caches = [];

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    protected CacheMechanism CreateCache(Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig { Backend = CacheBackend.Memory, TimeProvider = Time };
        configure?.Invoke(config);
        var cache = new CacheMechanism(config);
        _caches.Add(cache);
        return cache;
    }

    public void Dispose()
    {
        foreach (var cache in _caches)
        {
            cache.Dispose();
        }

        GC.SuppressFinalize(this);
    }
}
