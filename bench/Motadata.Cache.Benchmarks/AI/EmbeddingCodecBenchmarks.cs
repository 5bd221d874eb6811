using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Motadata.Cache.AI.Internal;

namespace Motadata.Cache.Benchmarks.AI;

/// <summary>
/// Reading a stored 1,536-float embedding back: our raw little-endian format (what the caching embedding generator
/// stores) vs System.Text.Json (the baseline). Target: faster than JSON. The sizes are printed by <c>-- sizes</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class EmbeddingCodecBenchmarks
{
    private byte[] _raw = null!;
    private byte[] _json = null!;

    [GlobalSetup]
    public void Setup()
    {
        var vector = FakeEmbeddingGenerator.VectorFor("the quick brown fox");
        _raw = EmbeddingCodec.Encode(vector);
        _json = JsonSerializer.SerializeToUtf8Bytes(vector);
    }

    [Benchmark]
    public float[]? Read_MotadataRawFloats() => EmbeddingCodec.Decode(_raw);

    [Benchmark(Baseline = true)]
    public float[]? Read_Json() => JsonSerializer.Deserialize<float[]>(_json);
}
