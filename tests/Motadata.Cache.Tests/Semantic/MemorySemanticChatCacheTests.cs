using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace Motadata.Cache.Tests.Semantic;

public sealed class MemorySemanticChatCacheTests(MiniLmFixture minilm) : SemanticChatCacheTests(minilm), IClassFixture<MiniLmFixture>
{
    protected override void ConfigureBackend(CacheConfig config) => config.Backend = CacheBackend.Memory;

    [Fact]
    public async Task WhenACachedAnswerExpiresItsParaphraseIsAnsweredAfresh()
    {
        var clock = new FakeTimeProvider(Start);
        var cache = CreateCache(c => c.TimeProvider = clock);
        var (model, client, _) = Build(cache);
        var shortLived = For("acme");
        shortLived.AdditionalProperties![AI.AICacheProperties.Ttl] = TimeSpan.FromMinutes(1);
        await client.GetResponseAsync("How do I reset my password?", shortLived);

        clock.Advance(TimeSpan.FromMinutes(2));
        await client.GetResponseAsync("How can I reset my password?", For("acme"));

        Assert.Equal(2, model.Calls);
    }
}
