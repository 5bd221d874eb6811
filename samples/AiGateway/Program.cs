// A small AI gateway: tenants ask questions; the gateway embeds them, retrieves documents (RAG) and asks the model,
// caching all three per tenant with Motadata.Cache. The model is a fake that counts what it would have billed.
//
//   dotnet run --project samples/AiGateway                                  # in-process memory cache
//   dotnet run --project samples/AiGateway -- dragonfly://localhost:6379    # shared Dragonfly cache
using AiGateway;
using Microsoft.Extensions.AI;
using Motadata.Cache;
using Motadata.Cache.AI;

await using var cache = args.Length > 0
    ? CacheMechanism.CreateDragonfly(args[0], ttl: TimeSpan.FromHours(1))
    : CacheMechanism.CreateMemory(maxSize: 50_000, ttl: TimeSpan.FromHours(1));

var model = new FakeModel();
var chatStats = new AICacheCounters();
var embeddingStats = new AICacheCounters();

// The three lines that add caching to an existing Microsoft.Extensions.AI pipeline.
IChatClient chat = new ChatClientBuilder(model).UseMotadataCache(cache, o => { o.Version = "prompt-v1"; o.Statistics = chatStats; }).Build();
IEmbeddingGenerator<string, Embedding<float>> embedder = new EmbeddingGeneratorBuilder<string, Embedding<float>>(model).UseMotadataCache(cache, o => o.Statistics = embeddingStats).Build();
var retrievals = 0;

async Task<string> AskAsync(string tenant, string question)
{
    var tenantOptions = new EmbeddingGenerationOptions { AdditionalProperties = new() { [AICacheProperties.TenantId] = tenant } };
    var queryVector = (await embedder.GenerateAsync([question], tenantOptions))[0];

    var rag = new RagQueryCache(cache, "handbook", indexVersion: "2026-01", tenantId: tenant);
    var documents = await rag.GetOrSearchAsync(question, new { TopK = 3 }, _ =>
    {
        Interlocked.Increment(ref retrievals);
        return ValueTask.FromResult(new[] { $"doc about {question} (vector {queryVector.Vector.Span[0]:F3})", "faq", "policy" });
    });

    var response = await chat.GetResponseAsync(
        [new ChatMessage(ChatRole.System, "Answer from: " + string.Join("; ", documents)), new ChatMessage(ChatRole.User, question)],
        new ChatOptions { AdditionalProperties = new() { [AICacheProperties.TenantId] = tenant } });
    return response.Text;
}

string[] tenants = ["acme", "globex", "initech"];
string[] questions = ["How do I reset my password?", "What is the refund policy?", "Where is my invoice?", "How do I add a user?"];

// Ten rounds of traffic: the same questions come back again and again, as they do in support and search.
var asked = 0;
for (var round = 0; round < 10; round++)
{
    foreach (var tenant in tenants)
    {
        foreach (var question in questions)
        {
            await AskAsync(tenant, question);
            asked++;
        }
    }
}

// Index rebuilt for one tenant: bump the version, its retrievals run again (and old entries go).
var acmeIndex = new RagQueryCache(cache, "handbook", "2026-01", tenantId: "acme");
var removed = await acmeIndex.ChangeIndexVersionAsync("2026-02");

var chatTotals = chatStats.GetStats();
var embeddings = embeddingStats.GetStats();
var dollarsSaved = chatTotals.TokensSaved * FakeModel.DollarsPerThousandChatTokens / 1000m;
Console.WriteLine($"Backend:        {cache.Backend}");
Console.WriteLine($"Questions:      {asked} from {tenants.Length} tenants");
Console.WriteLine($"Chat:           {model.ChatCalls} model calls made, {chatTotals.CallsAvoided} avoided (hit rate {chatTotals.HitRate:P0})");
Console.WriteLine($"Embeddings:     {model.EmbeddingCalls} model calls made, {embeddings.CallsAvoided} avoided (hit rate {embeddings.HitRate:P0})");
Console.WriteLine($"RAG retrievals: {retrievals} run, {asked - retrievals} served from cache; {removed} entries dropped when acme's index was rebuilt");
foreach (var tenant in tenants)
{
    var s = chatStats.GetStats(tenant);
    Console.WriteLine($"  {tenant,-8} chat hits {s.Hits,3}  misses {s.Misses,3}  calls avoided {s.CallsAvoided,3}  tokens saved {s.TokensSaved,6}");
}

Console.WriteLine($"Spent on model: ${model.Spent:F4}");
Console.WriteLine($"Cost saved:     ${dollarsSaved:F4} ({chatTotals.TokensSaved} chat tokens not bought again)");
