using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.AI.Agents;
using Motadata.Cache.Tests.Integrations;

namespace Motadata.Cache.AI.Agents.Tests;

/// <summary>The cached chat history of an agent (<see cref="MotadataChatHistoryProvider"/>) on every backend.</summary>
public abstract class AgentHistoryTests : CacheOwningTests
{
    protected static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Lets a conversation stored with a one-hour sliding TTL come close to expiring: most of its life passes.</summary>
    protected abstract Task AgeAsync(CacheMechanism cache, FakeTimeProvider clock, string key, string? tenant);

    /// <summary>Asserts the conversation's key now has close to a full hour to live again.</summary>
    protected abstract Task AssertFreshTtlAsync(CacheMechanism cache, FakeTimeProvider clock, string key, string? tenant);

    protected static ChatClientAgent Agent(IChatClient model, MotadataChatHistoryProvider history, string? instructions = "Be brief.") =>
        new(model, new ChatClientAgentOptions
        {
            Name = "helper",
            ChatOptions = new ChatOptions { Instructions = instructions },
            ChatHistoryProvider = history,
        });

    [Fact]
    public async Task WhenASecondTurnRunsTheModelSeesTheFirstTurnFromTheCache()
    {
        var cache = CreateCache();
        var model = new ConversationFakeChatClient();
        var history = new MotadataChatHistoryProvider(cache, new ChatHistoryCacheOptions { TenantId = "acme" });
        var agent = Agent(model, history);
        var session = await agent.CreateSessionAsync();

        await agent.RunAsync("My name is Ada.", session);
        var second = await agent.RunAsync("What is my name?", session);

        Assert.Equal("reply 2 to What is my name?", second.Text);
        Assert.Equal(["My name is Ada.", "reply 1 to My name is Ada.", "What is my name?"], model.Calls[1].Select(m => m.Text));
        var stored = await history.GetMessagesAsync(session);
        Assert.Equal(4, stored.Count);
        var conversation = history.GetConversation(session);
        Assert.Equal("acme", conversation.TenantId);
        Assert.True(cache.Delete(history.GetCacheKey(conversation.ConversationId), "acme"));
    }

    [Fact]
    public async Task WhenASessionIsSerializedItCarriesOnlyTheConversationReference()
    {
        var cache = CreateCache();
        var history = new MotadataChatHistoryProvider(cache, new ChatHistoryCacheOptions { TenantId = "acme" });
        var agent = Agent(new ConversationFakeChatClient(), history);
        var session = await agent.CreateSessionAsync();
        await agent.RunAsync("a secret only the cache should hold", session);

        var json = (await agent.SerializeSessionAsync(session)).GetRawText();

        Assert.DoesNotContain("secret", json, StringComparison.Ordinal);
        Assert.Contains(history.GetConversation(session).ConversationId, json, StringComparison.Ordinal);
        Assert.True(json.Length < 400, json);
    }

    [Fact]
    public async Task WhenTheHistoryPassesMaxMessagesTheOldestTurnsGoButTheSystemMessageStays()
    {
        var cache = CreateCache();
        var model = new ConversationFakeChatClient();
        var history = new MotadataChatHistoryProvider(cache, new ChatHistoryCacheOptions { MaxMessages = 4 });
        var agent = Agent(model, history, instructions: null);
        var session = await agent.CreateSessionAsync();

        await agent.RunAsync([new ChatMessage(ChatRole.System, "You are a pirate."), new ChatMessage(ChatRole.User, "one")], session);
        await agent.RunAsync("two", session);
        await agent.RunAsync("three", session);
        await agent.RunAsync("four", session);

        var stored = await history.GetMessagesAsync(session);
        Assert.Equal(["You are a pirate.", "three", "reply 3 to three", "four", "reply 4 to four"], stored.Select(m => m.Text));
        Assert.Equal(ChatRole.System, stored[0].Role);
        Assert.Equal("You are a pirate.", model.Calls[3][0].Text);
    }

    [Fact]
    public async Task WhenTheHistoryPassesItsTokenBudgetTheOldestTurnsGo()
    {
        var cache = CreateCache();
        var model = new ConversationFakeChatClient();
        // Each message costs 10 here: a budget of 45 keeps the newest four.
        var history = new MotadataChatHistoryProvider(cache, new ChatHistoryCacheOptions { MaxMessages = null, MaxTokens = 45, TokenEstimator = _ => 10 });
        var agent = Agent(model, history);
        var session = await agent.CreateSessionAsync();

        foreach (var question in new[] { "q1", "q2", "q3", "q4" })
        {
            await agent.RunAsync(question, session);
        }

        var stored = await history.GetMessagesAsync(session);
        Assert.Equal(["q3", "reply 3 to q3", "q4", "reply 4 to q4"], stored.Select(m => m.Text));
    }

    [Fact]
    public async Task WhenATurnIsStoredTheConversationsTtlStartsAgain()
    {
        var clock = new FakeTimeProvider(Start);
        var cache = CreateCache(c => c.TimeProvider = clock);
        var model = new ConversationFakeChatClient();
        var history = new MotadataChatHistoryProvider(cache, new ChatHistoryCacheOptions { SlidingTtl = TimeSpan.FromHours(1) });
        var agent = Agent(model, history);
        var session = await agent.CreateSessionAsync();
        await agent.RunAsync("first", session);
        var key = history.GetCacheKey(history.GetConversation(session).ConversationId);

        await AgeAsync(cache, clock, key, null);
        await agent.RunAsync("second", session);

        Assert.Equal(4, (await history.GetMessagesAsync(session)).Count);
        await AssertFreshTtlAsync(cache, clock, key, null);
    }

    [Fact]
    public void WhenOptionsAreOutOfRangeOneErrorNamesEachBadSetting()
    {
        var cache = CreateCache();

        var error = Assert.Throws<ArgumentException>(() => new MotadataChatHistoryProvider(cache, new ChatHistoryCacheOptions
        {
            KeyPrefix = "", SlidingTtl = TimeSpan.Zero, MaxMessages = 0, MaxTokens = -1,
        }));

        foreach (var setting in new[] { "KeyPrefix", "SlidingTtl", "MaxMessages", "MaxTokens" })
        {
            Assert.Contains(setting, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WhenTwoSessionsAskTheSameFirstQuestionTheCachingChatClientAnswersTheSecondAndAPerRunOptOutReachesTheModel()
    {
        var cache = CreateCache();
        var model = new ConversationFakeChatClient();
        var chat = new ChatClientBuilder(model).UseMotadataCache(cache, o => o.TenantId = "acme").Build();
        var agent = Agent(chat, new MotadataChatHistoryProvider(cache, new ChatHistoryCacheOptions { TenantId = "acme" }));

        var first = await agent.RunAsync("What are your opening hours?", await agent.CreateSessionAsync());
        var second = await agent.RunAsync("What are your opening hours?", await agent.CreateSessionAsync());
        var optOut = new ChatClientAgentRunOptions(new ChatOptions
        {
            AdditionalProperties = new() { [AI.AICacheProperties.NoCache] = true, [AI.AICacheProperties.NoStore] = true },
        });
        var third = await agent.RunAsync("What are your opening hours?", await agent.CreateSessionAsync(), optOut);

        Assert.Equal(2, model.Calls.Count);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal("reply 2 to What are your opening hours?", third.Text);
    }

    [Fact]
    public async Task WhenTheCachingAgentMiddlewareSeesARepeatedOneShotRunTheInnerAgentIsSkippedButNotForASession()
    {
        var cache = CreateCache();
        var model = new ConversationFakeChatClient();
        var inner = Agent(model, new MotadataChatHistoryProvider(cache));
        var agent = new AIAgentBuilder(inner).Use(a => new MotadataCachingAgent(a, cache, new AgentResponseCacheOptions { TenantId = "acme" })).Build();

        var first = await agent.RunAsync("Summarise our refund policy.");
        var again = await agent.RunAsync("Summarise our refund policy.");
        await agent.RunAsync("Summarise our refund policy.", await agent.CreateSessionAsync());
        await agent.RunAsync("Summarise our refund policy.", options: new AgentRunOptions { AdditionalProperties = new() { [AI.AICacheProperties.NoCache] = true } });
        var stats = agent.GetService<MotadataCachingAgent>()!.Statistics.GetStats("acme");

        Assert.Equal(3, model.Calls.Count);
        Assert.Equal(first.Text, again.Text);
        Assert.Equal((1L, 1L, 2L), (stats.Hits, stats.Misses, stats.Bypassed));
    }

    private static async Task<AgentSession> ReloadAsync(AIAgent agent, string json) =>
        await agent.DeserializeSessionAsync(JsonDocument.Parse(json).RootElement);

    [Fact]
    public async Task WhenASessionSavedForAnotherTenantIsResumedByAProviderFixedToOneTheLoadFailsAndNothingIsReadOrCalled()
    {
        var cache = CreateCache();
        var model = new ConversationFakeChatClient();
        var globex = Agent(model, new MotadataChatHistoryProvider(cache, new ChatHistoryCacheOptions { TenantId = "globex" }));
        var globexSession = await globex.CreateSessionAsync();
        await globex.RunAsync("Our merger closes on Friday.", globexSession);
        var blob = (await globex.SerializeSessionAsync(globexSession)).GetRawText();

        var acmeHistory = new MotadataChatHistoryProvider(cache, new ChatHistoryCacheOptions { TenantId = "acme" });
        var acme = Agent(model, acmeHistory);
        var handedOver = await ReloadAsync(acme, blob);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => acme.RunAsync("What did I tell you?", handedOver));
        var read = await Assert.ThrowsAsync<InvalidOperationException>(async () => await acmeHistory.GetMessagesAsync(handedOver));

        Assert.Contains("belongs to tenant \"globex\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("fixed in code (\"acme\")", error.Message, StringComparison.Ordinal);
        Assert.Equal(error.Message, read.Message);
        Assert.Single(model.Calls);
    }

    [Fact]
    public async Task WhenATenantSelectorPicksTheTenantASessionOfAnotherTenantIsRefusedAndItsOwnResumes()
    {
        var cache = CreateCache();
        var model = new ConversationFakeChatClient();
        var current = "acme";
        var history = new MotadataChatHistoryProvider(cache, new ChatHistoryCacheOptions { TenantSelector = _ => current });
        var agent = Agent(model, history);
        var session = await agent.CreateSessionAsync();
        await agent.RunAsync("My name is Ada.", session);
        var blob = (await agent.SerializeSessionAsync(session)).GetRawText();

        current = "globex";
        var asGlobex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await agent.RunAsync("What is my name?", await ReloadAsync(agent, blob)));
        current = "acme";
        var asAcme = await agent.RunAsync("What is my name?", await ReloadAsync(agent, blob));

        Assert.Contains("belongs to tenant \"acme\"", asGlobex.Message, StringComparison.Ordinal);
        Assert.Equal("acme", history.GetConversation(session).TenantId);
        Assert.Equal(["My name is Ada.", "reply 1 to My name is Ada.", "What is my name?"], model.Calls[1].Select(m => m.Text));
        Assert.Equal("reply 2 to What is my name?", asAcme.Text);
    }

    [Fact]
    public async Task WhenAProviderHasAFixedTenantSetConversationAcceptsOnlyThatTenant()
    {
        var history = new MotadataChatHistoryProvider(CreateCache(), new ChatHistoryCacheOptions { TenantId = "acme" });
        var agent = Agent(new ConversationFakeChatClient(), history);
        var session = await agent.CreateSessionAsync();

        var error = Assert.Throws<ArgumentException>(() => history.SetConversation(session, "window-1", "globex"));
        history.SetConversation(session, "window-1", "acme");

        Assert.Equal("tenantId", error.ParamName);
        Assert.Contains("\"globex\"", error.Message, StringComparison.Ordinal);
        Assert.Equal(("window-1", "acme"), (history.GetConversation(session).ConversationId, history.GetConversation(session).TenantId));
    }

    [Fact]
    public async Task WhenTheCacheSignsReferencesATamperedOrUnsignedSessionIsRefusedAndAnIntactOneResumes()
    {
        var cache = CreateCache(c => c.SigningKey = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        var model = new ConversationFakeChatClient();
        var history = new MotadataChatHistoryProvider(cache);
        var agent = Agent(model, history);
        var session = await agent.CreateSessionAsync();
        history.SetConversation(session, "window-1", "acme");
        await agent.RunAsync("My order number is 4711.", session);
        var blob = (await agent.SerializeSessionAsync(session)).GetRawText();
        var signature = history.GetConversation(session).Signature;

        var otherTenant = await Assert.ThrowsAsync<InvalidOperationException>(async () => await agent.RunAsync("Which order?", await ReloadAsync(agent, blob.Replace("\"acme\"", "\"globex\"", StringComparison.Ordinal))));
        var otherConversation = await Assert.ThrowsAsync<InvalidOperationException>(async () => await agent.RunAsync("Which order?", await ReloadAsync(agent, blob.Replace("window-1", "window-2", StringComparison.Ordinal))));
        var unsigned = await Assert.ThrowsAsync<InvalidOperationException>(async () => await agent.RunAsync("Which order?", await ReloadAsync(agent, blob.Replace(signature!, "", StringComparison.Ordinal))));
        var intact = await agent.RunAsync("Which order did I mention?", await ReloadAsync(agent, blob));

        Assert.Matches("^[0-9a-f]{64}$", signature);
        Assert.Contains(signature!, blob, StringComparison.Ordinal);
        Assert.Contains("does not match its signature", otherTenant.Message, StringComparison.Ordinal);
        Assert.Contains("\"globex\"", otherTenant.Message, StringComparison.Ordinal);
        Assert.Contains("does not match its signature", otherConversation.Message, StringComparison.Ordinal);
        Assert.Contains("is not signed", unsigned.Message, StringComparison.Ordinal);
        Assert.Equal(2, model.Calls.Count);
        Assert.Equal(["My order number is 4711.", "reply 1 to My order number is 4711.", "Which order did I mention?"], model.Calls[1].Select(m => m.Text));
        Assert.Equal("reply 2 to Which order did I mention?", intact.Text);
    }

    [Fact]
    public async Task WhenNoTenantIsFixedNothingIsSignedAndTheSessionTenantIsTrustedASessionNamesItsOwnTenant()
    {
        var cache = CreateCache();
        var model = new ConversationFakeChatClient();
        var history = new MotadataChatHistoryProvider(cache, new ChatHistoryCacheOptions { TrustSessionTenant = true });
        var agent = Agent(model, history);
        var session = await agent.CreateSessionAsync();
        history.SetConversation(session, "window-1", "acme");
        await agent.RunAsync("one", session);

        var resumed = await ReloadAsync(agent, (await agent.SerializeSessionAsync(session)).GetRawText());

        Assert.Equal(("window-1", "acme", (string?)null), (history.GetConversation(resumed).ConversationId, history.GetConversation(resumed).TenantId, history.GetConversation(resumed).Signature));
        Assert.Equal(2, (await history.GetMessagesAsync(resumed)).Count);
        Assert.True(cache.TryGet<object>(history.GetCacheKey("window-1"), out _, "acme"));
    }

    [Fact]
    public async Task WhenNoTenantIsFixedAndNothingIsSignedASessionNamingATenantIsRefusedAndNothingIsReadOrCalled()
    {
        var cache = CreateCache();
        var model = new ConversationFakeChatClient();
        var globexHistory = new MotadataChatHistoryProvider(cache, new ChatHistoryCacheOptions { TrustSessionTenant = true });
        var globex = Agent(model, globexHistory);
        var globexSession = await globex.CreateSessionAsync();
        globexHistory.SetConversation(globexSession, "window-1", "globex");
        await globex.RunAsync("Our merger closes on Friday.", globexSession);
        var blob = (await globex.SerializeSessionAsync(globexSession)).GetRawText();

        var history = new MotadataChatHistoryProvider(cache);
        var agent = Agent(model, history);
        var handedOver = await ReloadAsync(agent, blob);
        var run = await Assert.ThrowsAsync<InvalidOperationException>(() => agent.RunAsync("What did I tell you?", handedOver));
        var read = await Assert.ThrowsAsync<InvalidOperationException>(async () => await history.GetMessagesAsync(handedOver));
        var set = Assert.Throws<ArgumentException>(() => history.SetConversation(handedOver, "window-2", "globex"));

        Assert.Contains("names tenant \"globex\"", run.Message, StringComparison.Ordinal);
        Assert.Contains("TrustSessionTenant", run.Message, StringComparison.Ordinal);
        Assert.Contains("SigningKey", run.Message, StringComparison.Ordinal);
        Assert.Equal(run.Message, read.Message);
        Assert.Equal("tenantId", set.ParamName);
        Assert.Single(model.Calls);
    }

    [Fact]
    public async Task WhenNoTenantIsFixedAndNothingIsSignedASessionInTheGlobalNamespaceStillResumes()
    {
        var cache = CreateCache();
        var model = new ConversationFakeChatClient();
        var history = new MotadataChatHistoryProvider(cache);
        var agent = Agent(model, history);
        var session = await agent.CreateSessionAsync();
        await agent.RunAsync("one", session);

        var resumed = await ReloadAsync(agent, (await agent.SerializeSessionAsync(session)).GetRawText());
        await agent.RunAsync("two", resumed);

        Assert.Null(history.GetConversation(resumed).TenantId);
        Assert.Equal(["one", "reply 1 to one", "two"], model.Calls[1].Select(m => m.Text));
    }
}
