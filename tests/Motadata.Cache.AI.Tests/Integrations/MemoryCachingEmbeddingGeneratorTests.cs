namespace Motadata.Cache.AI.Tests.Integrations;

public sealed class MemoryCachingEmbeddingGeneratorTests : CachingEmbeddingGeneratorTests
{
    protected override void ConfigureBackend(CacheConfig config) => config.Backend = CacheBackend.Memory;
}
