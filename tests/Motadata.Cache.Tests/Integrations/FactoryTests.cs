namespace Motadata.Cache.Tests.Integrations;

public sealed class FactoryTests
{
    [Fact]
    public async Task WhenCreateMemoryIsGivenSizeAndTtlTheCacheHasThem()
    {
        await using var cache = CacheMechanism.CreateMemory(maxSize: 50, ttl: TimeSpan.FromMinutes(3), configure: c => c.EnableSharding = true);

        Assert.Equal(CacheBackend.Memory, cache.Backend);
        Assert.Equal(50, cache.Config.MaxSize);
        Assert.Equal(TimeSpan.FromMinutes(3), cache.Config.Ttl);
        Assert.True(cache.Config.EnableSharding);
        Assert.True(cache.Set("k", 1));
        Assert.Equal(1, cache.Get<int>("k"));
    }

    [Fact]
    public async Task WhenCreateMemoryIsGivenNothingItTakesTheDefaults()
    {
        await using var cache = CacheMechanism.CreateMemory();

        Assert.Equal(new CacheConfig().MaxSize, cache.Config.MaxSize);
        Assert.Equal(new CacheConfig().Ttl, cache.Config.Ttl);
    }

    [Fact]
    public void WhenCreateMemoryIsGivenABadSizeItSaysWhatIsAllowed()
    {
        var error = Assert.Throws<ArgumentException>(() => CacheMechanism.CreateMemory(maxSize: 0));

        Assert.Contains("MaxSize is 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenCreateDragonflyIsGivenABadUrlItSaysWhatIsWrong()
    {
        Assert.Throws<ArgumentNullException>(() => CacheMechanism.CreateDragonfly(null!));
        var error = Assert.Throws<ArgumentException>(() => CacheMechanism.CreateDragonfly("http://localhost"));

        Assert.Contains("http://localhost", error.Message, StringComparison.Ordinal);
    }
}
