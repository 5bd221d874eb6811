using Microsoft.Agents.AI;
using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.AI.Agents;
using Motadata.Cache.Tests.Integrations;

namespace Motadata.Cache.AI.Agents.Tests;

public sealed class DragonflyAgentHistoryTests(RedisServerFixture redis) : AgentHistoryTests, IClassFixture<RedisServerFixture>
{
    protected override void ConfigureBackend(CacheConfig config) => redis.Configure(config);

    protected override async Task AgeAsync(CacheMechanism cache, FakeTimeProvider clock, string key, string? tenant)
    {
        // The server keeps the TTL: cut it to 5 s directly, as if 59 minutes 55 s had passed.
        var serverKey = await ServerKeys.ServerKeyAsync(redis.Server, cache, key, tenant);
        Assert.Contains(":1", await redis.Server.CommandAsync("PEXPIRE", serverKey, "5000"), StringComparison.Ordinal);
    }

    protected override async Task AssertFreshTtlAsync(CacheMechanism cache, FakeTimeProvider clock, string key, string? tenant)
    {
        var serverKey = await ServerKeys.ServerKeyAsync(redis.Server, cache, key, tenant);
        Assert.InRange(await ServerKeys.PttlAsync(redis.Server, serverKey), 60_000, 3_600_000);
    }

    [Fact]
    public async Task WhenASerializedSessionIsResumedOnASecondCacheInstanceAfterTheFirstIsGoneTheConversationContinues()
    {
        var first = CreateCache();
        var model = new ConversationFakeChatClient();
        var agent1 = Agent(model, new MotadataChatHistoryProvider(first, new ChatHistoryCacheOptions { TenantId = "acme" }));
        var session1 = await agent1.CreateSessionAsync();
        await agent1.RunAsync("My order number is 4711.", session1);
        var saved = await agent1.SerializeSessionAsync(session1);
        await first.DisposeAsync();

        var second = CreateCache(c => c.KeyPrefix = first.Config.KeyPrefix);
        var history2 = new MotadataChatHistoryProvider(second, new ChatHistoryCacheOptions { TenantId = "acme" });
        var agent2 = Agent(model, history2);
        var session2 = await agent2.DeserializeSessionAsync(saved);
        var answer = await agent2.RunAsync("Which order did I mention?", session2);

        Assert.Equal("reply 2 to Which order did I mention?", answer.Text);
        Assert.Equal(["My order number is 4711.", "reply 1 to My order number is 4711.", "Which order did I mention?"], model.Calls[1].Select(m => m.Text));
        Assert.Equal("acme", history2.GetConversation(session2).TenantId);
        Assert.Equal(4, (await history2.GetMessagesAsync(session2)).Count);
    }
}
