// Semantic caching of LLM answers, offline: real sentence embeddings (MiniLM on the CPU), a fake model that counts
// its calls. Paraphrases are answered from the cache; near-misses (another number, a negation, another product or
// language) and other tenants go to the model.
//
//   dotnet run --project samples/SemanticCache                                  # in-process memory cache
//   dotnet run --project samples/SemanticCache -- dragonfly://localhost:6379    # shared Dragonfly cache
using Microsoft.Extensions.AI;
using Motadata.Cache;
using Motadata.Cache.AI;
using SemanticCache;

await using var cache = args.Length > 0
    ? CacheMechanism.CreateDragonfly(args[0], ttl: TimeSpan.FromHours(1))
    : CacheMechanism.CreateMemory(maxSize: 10_000, ttl: TimeSpan.FromHours(1));
using var embedder = new MiniLmEmbeddingGenerator();
var modelCalls = 0;
var model = new CountingModel(() => Interlocked.Increment(ref modelCalls));
var stats = new AICacheCounters();

IChatClient chat = new ChatClientBuilder(model)
    .UseMotadataCache(cache, o =>
    {
        o.Statistics = stats;
        o.Semantic = new SemanticCacheOptions { EmbeddingGenerator = embedder };   // threshold 0.85 and the key-terms guard
    })
    .Build();

(string Tenant, string Prompt)[] traffic =
[
    ("acme", "How do I reset my password?"),
    ("acme", "How can I reset my password?"),                   // paraphrase: cached
    ("acme", "how do i reset my password"),                     // paraphrase: cached
    ("acme", "What is the price of 2 licenses?"),
    ("acme", "What is the price of 20 licenses?"),              // another number: the model
    ("acme", "Is this product waterproof?"),
    ("acme", "Is this product not waterproof?"),                // negation: the model
    ("acme", "Translate \"good morning\" into French."),
    ("acme", "Translate \"good morning\" into German."),        // another language task: the model
    ("globex", "How can I reset my password?"),                 // another tenant: the model, never acme's answer
];

foreach (var (tenant, prompt) in traffic)
{
    var before = modelCalls;
    var response = await chat.GetResponseAsync(prompt, new ChatOptions { AdditionalProperties = new() { [AICacheProperties.TenantId] = tenant } });
    Console.WriteLine($"{tenant,-7} {(modelCalls > before ? "model " : "cached")}  {prompt,-45} -> {response.Text}");
}

Console.WriteLine($"model calls: {modelCalls}; acme: {stats.GetStats("acme")}");

/// <summary>A model stand-in: answers "answer N" and counts its calls.</summary>
internal sealed class CountingModel(Func<int> nextCall) : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, $"answer {nextCall()}")) { Usage = new UsageDetails { TotalTokenCount = 120 } });

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This sample does not stream.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
