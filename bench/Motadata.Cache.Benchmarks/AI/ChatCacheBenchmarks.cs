using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Motadata.Cache.Benchmarks.AI;

/// <summary>
/// A chat-response cache hit: our caching client (<c>UseMotadataCache</c>, memory backend, a tenant) vs
/// <c>DistributedCachingChatClient</c> over <c>MemoryDistributedCache</c> (the baseline). Target: ours at least 1.5x
/// faster (a time ratio of at most 0.67). Both wrap the same fake model; the setup checks that a hit does not call it.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class ChatCacheBenchmarks
{
    private FakeChatClient _model = null!;
    private CacheMechanism _cache = null!;
    private IChatClient _ours = null!;
    private IChatClient _distributed = null!;
    private List<ChatMessage> _messages = null!;
    private ChatOptions _options = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _model = new FakeChatClient();
        _cache = new CacheMechanism(new CacheConfig());
        _ours = new ChatClientBuilder(_model).UseMotadataCache(_cache, o => o.TenantId = "tenant-1").Build();
        var distributedCache = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        _distributed = new ChatClientBuilder(_model).UseDistributedCache(distributedCache).Build();
        _messages =
        [
            new(ChatRole.System, "You are a helpful assistant. Answer in two sentences."),
            new(ChatRole.User, "What is the capital of France, and since when?"),
        ];
        _options = new ChatOptions { ModelId = "fake-model", Temperature = 0.2f, MaxOutputTokens = 200 };

        await _ours.GetResponseAsync(_messages, _options);
        await _distributed.GetResponseAsync(_messages, _options);
        var calls = _model.Calls;
        await _ours.GetResponseAsync(_messages, _options);
        await _distributed.GetResponseAsync(_messages, _options);
        if (_model.Calls != calls)
        {
            throw new InvalidOperationException("A cached request reached the model: the benchmark would not measure hits.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ours.Dispose();
        _distributed.Dispose();
        _cache.Dispose();
    }

    [Benchmark]
    public Task<ChatResponse> Hit_MotadataCachingChatClient() => _ours.GetResponseAsync(_messages, _options);

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> Hit_DistributedCachingChatClient() => _distributed.GetResponseAsync(_messages, _options);
}
