// An agent (Microsoft Agent Framework) whose conversation lives in Motadata.Cache and whose answers are cached, offline
// with a fake model. The session that is saved holds only a reference, so the conversation resumes on a "second
// instance" (a new cache object, agent and provider), as it would on another server sharing Dragonfly or after a restart.
//
//   dotnet run --project samples/AgentChat                                  # in-process memory cache
//   dotnet run --project samples/AgentChat -- dragonfly://localhost:6379    # shared Dragonfly cache (two real connections)
using AgentChat;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Motadata.Cache;
using Motadata.Cache.AI;
using Motadata.Cache.AI.Agents;

const string Tenant = "acme";
var model = new FakeModel();
var chatStats = new AICacheCounters();
CacheMechanism NewCache() => args.Length > 0
    ? CacheMechanism.CreateDragonfly(args[0], ttl: TimeSpan.FromHours(1))
    : CacheMechanism.CreateMemory(maxSize: 10_000, ttl: TimeSpan.FromHours(1));

ChatClientAgent NewAgent(CacheMechanism cache) => new(
    new ChatClientBuilder(model).UseMotadataCache(cache, o => { o.TenantId = Tenant; o.Statistics = chatStats; }).Build(),
    new ChatClientAgentOptions
    {
        Name = "support",
        ChatOptions = new ChatOptions { Instructions = "You are Acme's support assistant." },
        ChatHistoryProvider = new MotadataChatHistoryProvider(cache, new ChatHistoryCacheOptions
        {
            TenantId = Tenant,
            SlidingTtl = TimeSpan.FromHours(8),
            MaxMessages = 20,
        }),
    });

// Instance 1: a conversation of two turns.
var cache1 = NewCache();
var agent1 = NewAgent(cache1);
var session = await agent1.CreateSessionAsync();
Console.WriteLine("user:  I am Ada.");
Console.WriteLine("agent: " + await agent1.RunAsync("I am Ada.", session));
Console.WriteLine("user:  What are your opening hours?");
Console.WriteLine("agent: " + await agent1.RunAsync("What are your opening hours?", session));
var saved = await agent1.SerializeSessionAsync(session);
Console.WriteLine($"saved session ({saved.GetRawText().Length} bytes): {saved.GetRawText()}");

// "Instance 2": a new agent and provider; on Dragonfly also a new connection (the memory cache is shared in-process).
var cache2 = args.Length > 0 ? NewCache() : cache1;
var agent2 = NewAgent(cache2);
var resumed = await agent2.DeserializeSessionAsync(saved);
Console.WriteLine("user:  What is my name?");
Console.WriteLine("agent: " + await agent2.RunAsync("What is my name?", resumed));

// Another customer opens a chat with the same first question: the cached answer, no model call.
var before = model.Calls;
var other = await agent2.CreateSessionAsync();
await agent2.RunAsync("I am Ada.", other);
Console.WriteLine($"same first turn in a new conversation: {model.Calls - before} model call(s)");

// A run that must not be served from the cache (say the answer depends on live data): opt out for this run only.
var live = new ChatClientAgentRunOptions(new ChatOptions { AdditionalProperties = new() { [AICacheProperties.NoCache] = true, [AICacheProperties.NoStore] = true } });
before = model.Calls;
await agent2.RunAsync("I am Ada.", await agent2.CreateSessionAsync(), live);
Console.WriteLine($"same first turn with no-cache + no-store: {model.Calls - before} model call(s)");

var s = chatStats.GetStats(Tenant);
Console.WriteLine($"model calls: {model.Calls}; chat cache: {s}");
await cache1.DisposeAsync();
if (!ReferenceEquals(cache1, cache2))
{
    await cache2.DisposeAsync();
}
