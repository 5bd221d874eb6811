using System.Globalization;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Motadata.Cache.AI;
using Motadata.Cache.AI.Internal;

namespace Motadata.Cache.Benchmarks.AI;

/// <summary>
/// Storing one new prompt in the semantic layer of a tenant that already holds N prompts, on the memory backend, with
/// its vector precomputed (384 dimensions): the entry, one log segment, the head and a registry check (issue 20). The
/// baseline is the entry's own write without the semantic layer (one <c>SetAsync</c> of the same bytes), so the ratio
/// is what the index costs; it must not grow with N. Before issue 20 this read and rewrote a manifest of every id:
/// 0.8-1.4 ms at 10,000. p50/p99, lookups and Dragonfly come from <c>-- semanticstore</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 6)]
public class SemanticStoreBenchmarks
{
    private const int Dimensions = 384;

    private CacheMechanism _cache = null!;
    private SemanticLayer _layer = null!;
    private float[][] _vectors = null!;
    private byte[] _entryBytes = null!;
    private int _next;

    [Params(10_000, 100_000)]
    public int Prompts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _cache = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Memory, MaxSize = 4 * Prompts });
        _layer = new SemanticLayer(_cache, new SemanticCacheOptions { EmbeddingGenerator = new NoEmbeddings(), MaxEntriesPerTenant = Prompts });
        var random = new Random(3);
        _vectors = new float[256][];
        for (var v = 0; v < _vectors.Length; v++)
        {
            _vectors[v] = new float[Dimensions];
            for (var d = 0; d < Dimensions; d++)
            {
                _vectors[v][d] = (float)(random.NextDouble() - 0.5);
            }

            TensorPrimitives.Divide(_vectors[v], TensorPrimitives.Norm(_vectors[v]), _vectors[v]);
        }

        for (var i = 0; i < Prompts; i++)
        {
            _layer.AddAsync("acme", SemanticIndexFill.Scope, Prompt(i), (float[])_vectors[i & 255].Clone(), Answer(i), null, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }

        _entryBytes = SemanticEntryCodec.Encode(new SemanticEntry(new string('0', 32), SemanticIndexFill.Scope, Prompt(0), Answer(0), 0, long.MaxValue, (float[])_vectors[0].Clone()));
        _next = Prompts;
    }

    [GlobalCleanup]
    public void Cleanup() => _cache.Dispose();

    [Benchmark(Baseline = true)]
    public ValueTask<bool> EntryOnly()
    {
        var n = _next++;
        return _cache.SetAsync(string.Create(CultureInfo.InvariantCulture, $"sem:e:{n:x32}"), _entryBytes, null, "acme");
    }

    [Benchmark]
    public ValueTask StoreNewPrompt()
    {
        var n = _next++;
        return _layer.AddAsync("acme", SemanticIndexFill.Scope, Prompt(n), (float[])_vectors[n & 255].Clone(), Answer(n), null, CancellationToken.None);
    }

    private static string Prompt(int i) => string.Create(CultureInfo.InvariantCulture, $"prompt number {i}");

    private static string Answer(int i) => string.Create(CultureInfo.InvariantCulture, $"chat:{i:x16}");

    private sealed class NoEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("The benchmark passes its vectors.");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
