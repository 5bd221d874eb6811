namespace Motadata.Cache.AI.Tests.Integrations;

public sealed class MemoryCachingChatClientTests : CachingChatClientTests
{
    protected override void ConfigureBackend(CacheConfig config) => config.Backend = CacheBackend.Memory;
}
