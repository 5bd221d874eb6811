using Microsoft.Extensions.Time.Testing;

namespace Motadata.Cache.Tests.Contract;

/// <summary>The contract on the memory backend, with a fake clock.</summary>
public sealed class MemoryCacheContractTests : CacheContractTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    protected override void ConfigureBackend(CacheConfig config)
    {
        config.Backend = CacheBackend.Memory;
        config.TimeProvider = _time;
    }

    protected override Task AdvanceTimeAsync(TimeSpan by)
    {
        _time.Advance(by);
        return Task.CompletedTask;
    }
}
