using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Motadata.Cache.AI;
using Motadata.Cache.AI.Agents;
using Motadata.Cache.Tests.Integrations;

namespace Motadata.Cache.AI.Agents.Tests;

/// <summary>The agent answer cache (<see cref="MotadataCachingAgent"/>): keyed by what the agent is, in a tenant nobody can switch, on every backend.</summary>
public abstract class AgentResponseCacheTests : CacheOwningTests
{
    private const string Question = "Summarise our refund policy.";

    protected static AIFunction Weather() =>
        AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather", "The weather in a city.");

    protected static AIFunction Refund() =>
        AIFunctionFactory.Create((string order) => $"refunded {order}", "issue_refund", "Refunds an order.");

    /// <summary>A fresh <see cref="ChatClientAgent"/> (with no <c>Id</c> set, so a random instance id) wrapped by the cache.</summary>
    protected static AIAgent CachedAgent(
        IChatClient model, CacheMechanism cache, string instructions = "Be brief.", IList<AITool>? tools = null, string name = "support", string? tenant = "acme", string version = "1", string? modelId = null)
    {
        var inner = new ChatClientAgent(model, new ChatClientAgentOptions
        {
            Name = name,
            ChatOptions = new ChatOptions { Instructions = instructions, Tools = tools, ModelId = modelId },
        });
        return new AIAgentBuilder(inner).Use(a => new MotadataCachingAgent(a, cache, new AgentResponseCacheOptions { TenantId = tenant, Version = version })).Build();
    }

    [Fact]
    public async Task WhenTwoInstancesOfOneAgentAskTheSameQuestionTheyShareOneAnswer()
    {
        var model = new ConversationFakeChatClient();
        var cache = CreateCache();
        var agent1 = CachedAgent(model, cache, tools: [Weather()]);
        var agent2 = CachedAgent(model, cache, tools: [Weather()]);

        var answer1 = await agent1.RunAsync(Question);
        var answer2 = await agent2.RunAsync(Question);

        Assert.NotEqual(agent1.Id, agent2.Id);
        Assert.Single(model.Calls);
        Assert.Equal(answer1.Text, answer2.Text);
    }

    [Fact]
    public async Task WhenInstructionsToolsNameModelOrVersionDifferAnswersAreNotShared()
    {
        var model = new ConversationFakeChatClient();
        var cache = CreateCache();
        AIAgent[] agents =
        [
            CachedAgent(model, cache, tools: [Weather()]),
            CachedAgent(model, cache, instructions: "Answer at length.", tools: [Weather()]),
            CachedAgent(model, cache, tools: [Refund()]),
            CachedAgent(model, cache, tools: [Weather(), Refund()]),
            CachedAgent(model, cache),
            CachedAgent(model, cache, name: "billing", tools: [Weather()]),
            CachedAgent(model, cache, tools: [Weather()], version: "2"),
            CachedAgent(model, cache, tools: [Weather()], modelId: "other-model"),
            CachedAgent(model, cache, tools: [Weather()], tenant: "globex"),
        ];

        foreach (var agent in agents)
        {
            await agent.RunAsync(Question);
        }

        Assert.Equal(agents.Length, model.Calls.Count);
        await agents[0].RunAsync(Question);
        Assert.Equal(agents.Length, model.Calls.Count);
    }

    [Fact]
    public async Task WhenARunAsksWithOtherToolsOrAClientFactoryItIsNotServedThePlainRunsAnswer()
    {
        var model = new ConversationFakeChatClient();
        var agent = CachedAgent(model, CreateCache(), tools: [Weather()]);

        var plain = await agent.RunAsync(Question);
        var withRefund = await agent.RunAsync(Question, options: new ChatClientAgentRunOptions(new ChatOptions { Tools = [Refund()] }));
        var withFactory = await agent.RunAsync(Question, options: new ChatClientAgentRunOptions { ChatClientFactory = c => c });
        var withFactoryAgain = await agent.RunAsync(Question, options: new ChatClientAgentRunOptions { ChatClientFactory = c => c });
        var refundAgain = await agent.RunAsync(Question, options: new ChatClientAgentRunOptions(new ChatOptions { Tools = [Refund()] }));
        var plainAgain = await agent.RunAsync(Question, options: new ChatClientAgentRunOptions());

        Assert.Equal(4, model.Calls.Count);
        Assert.Equal([$"reply 1 to {Question}", $"reply 2 to {Question}", $"reply 3 to {Question}", $"reply 4 to {Question}"], new[] { plain.Text, withRefund.Text, withFactory.Text, withFactoryAgain.Text });
        Assert.Equal(withRefund.Text, refundAgain.Text);
        Assert.Equal(plain.Text, plainAgain.Text);
    }

    [Fact]
    public async Task WhenARunNamesAServiceConversationOrPollsABackgroundResponseItPassesThroughUncached()
    {
        var model = new ConversationFakeChatClient();
        var agent = CachedAgent(model, CreateCache());
        var stats = agent.GetService<MotadataCachingAgent>()!.Statistics;

        await agent.RunAsync(Question);
        await agent.RunAsync(Question, options: new ChatClientAgentRunOptions(new ChatOptions { ConversationId = "conv-1" }));
        await agent.RunAsync(Question, options: new ChatClientAgentRunOptions(new ChatOptions { ConversationId = "conv-1" }));

        Assert.Equal(3, model.Calls.Count);
        Assert.Equal((0L, 1L, 2L), (stats.GetStats("acme").Hits, stats.GetStats("acme").Misses, stats.GetStats("acme").Bypassed));
    }

    [Fact]
    public async Task WhenAnAgentHasAFixedTenantARunNamingAnotherIsRefusedAndNothingIsServedOrCalled()
    {
        var model = new ConversationFakeChatClient();
        var cache = CreateCache();
        var open = CachedAgent(model, cache, tenant: null);
        var globex = await open.RunAsync(Question, options: Run((AICacheProperties.TenantId, "globex")));
        var acme = CachedAgent(model, cache, tenant: "acme");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => acme.RunAsync(Question, options: Run((AICacheProperties.TenantId, "globex"))));
        var sameTenant = await acme.RunAsync(Question, options: Run((AICacheProperties.TenantId, "acme")));

        Assert.Equal(AICacheProperties.TenantId, error.ParamName);
        Assert.Contains("AgentRunOptions.AdditionalProperties[\"motadata.cache.tenant\"] is \"globex\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("fixed", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, model.Calls.Count);
        Assert.NotEqual(globex.Text, sameTenant.Text);
    }

    [Fact]
    public async Task WhenARunSetsOnlyCacheControlsItReadsAndRefreshesThePlainRunsEntry()
    {
        var model = new ConversationFakeChatClient();
        var agent = CachedAgent(model, CreateCache());

        await agent.RunAsync(Question);
        var withTtl = await agent.RunAsync(Question, options: Run((AICacheProperties.Ttl, 60)));
        var refreshed = await agent.RunAsync(Question, options: Run((AICacheProperties.NoCache, true)));
        var plain = await agent.RunAsync(Question, options: new AgentRunOptions());

        Assert.Equal(2, model.Calls.Count);
        Assert.Equal($"reply 1 to {Question}", withTtl.Text);
        Assert.Equal($"reply 2 to {Question}", refreshed.Text);
        Assert.Equal(refreshed.Text, plain.Text);
    }

    [Fact]
    public async Task WhenAnAgentIsNotBuiltOnAChatClientItsIdKeysItsAnswers()
    {
        var cache = CreateCache();
        var options = new AgentResponseCacheOptions { TenantId = "acme" };
        var first = new OpaqueAgent("opaque-1");
        var sameId = new OpaqueAgent("opaque-1");
        var otherId = new OpaqueAgent("opaque-2");

        var a = await new MotadataCachingAgent(first, cache, options).RunAsync(Question);
        var b = await new MotadataCachingAgent(sameId, cache, options).RunAsync(Question);
        var c = await new MotadataCachingAgent(otherId, cache, options).RunAsync(Question);

        Assert.Equal((1, 0, 1), (first.Runs, sameId.Runs, otherId.Runs));
        Assert.Equal(a.Text, b.Text);
        Assert.NotEqual(a.Text, c.Text);
    }

    [Fact]
    public async Task WhenTheAgentHasAContextProviderItsRunsPassThroughUncached()
    {
        var model = new ConversationFakeChatClient();
        var cache = CreateCache();
        var user = "ada";
        var inner = new ChatClientAgent(model, new ChatClientAgentOptions
        {
            Name = "support",
            ChatOptions = new ChatOptions { Instructions = "Be brief." },
            AIContextProviders = [new UserContextProvider(() => user)],
        });
        var caching = new MotadataCachingAgent(inner, cache, new AgentResponseCacheOptions { TenantId = "acme" });

        var forAda = await caching.RunAsync(Question);
        user = "bob";
        var forBob = await caching.RunAsync(Question);
        var stats = caching.Statistics.GetStats("acme");

        Assert.Equal(2, model.Calls.Count);
        Assert.Equal($"reply 2 to {Question}", forBob.Text);
        Assert.NotEqual(forAda.Text, forBob.Text);
        Assert.Equal((0L, 0L, 2L), (stats.Hits, stats.Misses, stats.Bypassed));
        Assert.False(cache.TryGet<object>(caching.GetCacheKey([new ChatMessage(ChatRole.User, Question)]), out _, "acme"));
    }

    /// <summary>Adds who the user is to every run, as a memory or profile provider does: the key cannot see it.</summary>
    private sealed class UserContextProvider(Func<string> user) : AIContextProvider
    {
        protected override ValueTask<AIContext> ProvideAIContextAsync(InvokingContext context, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(new AIContext { Instructions = $"The user is {user()}." });
    }

    /// <summary>An agent that shows nothing of its configuration (no chat client): only its id can tell it apart.</summary>
    private sealed class OpaqueAgent(string id) : AIAgent
    {
        public int Runs { get; private set; }

        protected override string? IdCore => id;

        public override string? Name => "opaque";

        protected override Task<AgentResponse> RunCoreAsync(IEnumerable<ChatMessage> messages, AgentSession? session = null, AgentRunOptions? options = null, CancellationToken cancellationToken = default)
        {
            Runs++;
            return Task.FromResult(new AgentResponse(new ChatMessage(ChatRole.Assistant, $"{id} says hello")));
        }

        protected override IAsyncEnumerable<AgentResponseUpdate> RunCoreStreamingAsync(IEnumerable<ChatMessage> messages, AgentSession? session = null, AgentRunOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        protected override ValueTask<AgentSession> CreateSessionCoreAsync(CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        protected override ValueTask<System.Text.Json.JsonElement> SerializeSessionCoreAsync(AgentSession session, System.Text.Json.JsonSerializerOptions? jsonSerializerOptions = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        protected override ValueTask<AgentSession> DeserializeSessionCoreAsync(System.Text.Json.JsonElement serializedState, System.Text.Json.JsonSerializerOptions? jsonSerializerOptions = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }

    private static AgentRunOptions Run(params (string Name, object Value)[] properties)
    {
        var options = new AgentRunOptions { AdditionalProperties = [] };
        foreach (var (name, value) in properties)
        {
            options.AdditionalProperties[name] = value;
        }

        return options;
    }
}

public sealed class MemoryAgentResponseCacheTests : AgentResponseCacheTests
{
    protected override void ConfigureBackend(CacheConfig config) => config.Backend = CacheBackend.Memory;
}

public sealed class DragonflyAgentResponseCacheTests(RedisServerFixture redis) : AgentResponseCacheTests, IClassFixture<RedisServerFixture>
{
    private const string Question = "Which plans include phone support?";

    protected override void ConfigureBackend(CacheConfig config) => redis.Configure(config);

    [Fact]
    public async Task WhenTwoReplicasOfOneAgentAndARestartedOneAskTheSameQuestionThroughOneServerTheyShareOneAnswer()
    {
        var model = new ConversationFakeChatClient();
        var first = CreateCache();
        var replica = CreateCache(c => c.KeyPrefix = first.Config.KeyPrefix);
        var agent1 = CachedAgent(model, first, tools: [Weather()]);
        var agent2 = CachedAgent(model, replica, tools: [Weather()]);

        var answer1 = await agent1.RunAsync(Question);
        var answer2 = await agent2.RunAsync(Question);
        var prefix = first.Config.KeyPrefix;
        await first.DisposeAsync();
        await replica.DisposeAsync();
        var restarted = CachedAgent(model, CreateCache(c => c.KeyPrefix = prefix), tools: [Weather()]);
        var answer3 = await restarted.RunAsync(Question);
        var changed = CachedAgent(model, CreateCache(c => c.KeyPrefix = prefix), instructions: "Answer in French.", tools: [Weather()]);
        var answer4 = await changed.RunAsync(Question);

        Assert.Equal(2, model.Calls.Count);
        Assert.Equal(answer1.Text, answer2.Text);
        Assert.Equal(answer1.Text, answer3.Text);
        Assert.Equal($"reply 2 to {Question}", answer4.Text);
    }
}
