namespace Motadata.Cache.Tests.Integrations;

public sealed class MemoryHybridCacheTests : HybridCacheTests
{
    protected override void ConfigureBackend(CacheConfig config) => config.Backend = CacheBackend.Memory;
}
