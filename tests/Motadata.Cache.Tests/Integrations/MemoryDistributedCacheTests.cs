using Microsoft.Extensions.Time.Testing;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>The distributed-cache semantics on the memory backend, with a fake clock.</summary>
public sealed class MemoryDistributedCacheTests : DistributedCacheTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    protected override void ConfigureBackend(CacheConfig config) => config.TimeProvider = _time;

    protected override Task AdvanceTimeAsync(TimeSpan by)
    {
        _time.Advance(by);
        return Task.CompletedTask;
    }
}
