// The benchmark builds the contexts the agent would pass; their constructors are marked evaluation-only (MAAI001) in
// Microsoft.Agents.AI 1.28, as is the framework's MessageCountingChatReducer (MEAI001). The library itself builds neither.
#pragma warning disable MAAI001, MEAI001
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Motadata.Cache.AI.Agents;
using Motadata.Cache.Benchmarks.Dragonfly;

namespace Motadata.Cache.Benchmarks.AI;

/// <summary>
/// An agent's chat history for a 50-turn conversation (100 messages, about 60 characters each): loading it before a
/// run (<c>InvokingAsync</c>) and appending a turn after it (<c>InvokedAsync</c>, which reads, appends, trims back to
/// 50 turns and writes). Ours on memory and on a local redis-server vs the framework's <c>InMemoryChatHistoryProvider</c>
/// (messages kept in the session object itself, trimmed by <c>MessageCountingChatReducer</c>; the baseline).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ChatHistoryBenchmarks
{
    private const int Turns = 50;

    private LocalRedisServer? _server;
    private CacheMechanism _cache = null!;
    private MotadataChatHistoryProvider _ours = null!;
    private InMemoryChatHistoryProvider _framework = null!;
    private AIAgent _agent = null!;
    private AgentSession _oursSession = null!;
    private AgentSession _frameworkSession = null!;
    private ChatMessage[] _request = null!;
    private ChatMessage[] _response = null!;

    [Params("memory", "dragonfly")]
    public string Backend { get; set; } = "memory";

    [GlobalSetup]
    public async Task Setup()
    {
        if (Backend == "dragonfly")
        {
            _server = LocalRedisServer.Start();
            _cache = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = _server.Url, EnableRecovery = false });
        }
        else
        {
            _cache = new CacheMechanism(new CacheConfig());
        }

        _ours = new MotadataChatHistoryProvider(_cache, new ChatHistoryCacheOptions { TenantId = "tenant-1", MaxMessages = Turns * 2 });
        _framework = new InMemoryChatHistoryProvider(new InMemoryChatHistoryProviderOptions
        {
            ChatReducer = new MessageCountingChatReducer(Turns * 2),
            ReducerTriggerEvent = InMemoryChatHistoryProviderOptions.ChatReducerTriggerEvent.AfterMessageAdded,
        });
        _agent = new ChatClientAgent(new FakeChatClient(), new ChatClientAgentOptions { Name = "bench" });
        _oursSession = await _agent.CreateSessionAsync();
        _frameworkSession = await _agent.CreateSessionAsync();
        _request = [new ChatMessage(ChatRole.User, "Which of our plans includes priority support and how much is it?")];
        _response = [new ChatMessage(ChatRole.Assistant, "The Business plan includes priority support; it costs $49 a month.")];
        for (var turn = 0; turn < Turns; turn++)
        {
            await AppendOurs();
            await AppendFramework();
        }

        var loaded = await LoadOurs();
        if (loaded != Turns * 2 + 1)
        {
            throw new InvalidOperationException($"Loaded {loaded} messages; expected {Turns * 2} and the request.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cache.Dispose();
        _server?.Dispose();
    }

    [BenchmarkCategory("Load"), Benchmark(Baseline = true)]
    public async Task<int> LoadFramework() =>
        (await _framework.InvokingAsync(new ChatHistoryProvider.InvokingContext(_agent, _frameworkSession, _request))).Count();

    [BenchmarkCategory("Load"), Benchmark]
    public async Task<int> LoadOurs() =>
        (await _ours.InvokingAsync(new ChatHistoryProvider.InvokingContext(_agent, _oursSession, _request))).Count();

    [BenchmarkCategory("Append"), Benchmark(Baseline = true)]
    public async Task AppendFramework() =>
        await _framework.InvokedAsync(new ChatHistoryProvider.InvokedContext(_agent, _frameworkSession, _request, _response));

    [BenchmarkCategory("Append"), Benchmark]
    public async Task AppendOurs() =>
        await _ours.InvokedAsync(new ChatHistoryProvider.InvokedContext(_agent, _oursSession, _request, _response));
}
