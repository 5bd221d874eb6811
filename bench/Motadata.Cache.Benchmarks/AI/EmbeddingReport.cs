using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Motadata.Cache.AI.Internal;
using Motadata.Cache.Benchmarks.Dragonfly;
using StackExchange.Redis;

namespace Motadata.Cache.Benchmarks.AI;

/// <summary>
/// <c>-- embeddings</c>: the figures that are counts, not timings. The stored size of a 1,536-float embedding vs its
/// JSON size (target: at most 40%), and the server round trips of a batch of 100 embedding lookups through our
/// caching generator on Dragonfly (a local redis-server): every command the server ran during the batch, read from
/// <c>INFO commandstats</c> before and after (target: one).
/// </summary>
public static class EmbeddingReport
{
    public const int BatchSize = 100;

    public static async Task RunAsync(TextWriter output)
    {
        var vector = FakeEmbeddingGenerator.VectorFor("the quick brown fox");
        var raw = EmbeddingCodec.Encode(vector).Length;
        var json = JsonSerializer.SerializeToUtf8Bytes(vector).Length;
        output.WriteLine($"Embedding of {vector.Length:N0} floats: stored {raw:N0} bytes, JSON {json:N0} bytes: {(double)raw / json:P1} of JSON.");

        using var server = LocalRedisServer.Start();
        using var cache = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = server.Url });
        var model = new FakeEmbeddingGenerator();
        using var generator = new EmbeddingGeneratorBuilder<string, Embedding<float>>(model).UseMotadataCache(cache, o => o.TenantId = "tenant-1").Build();
        var inputs = Enumerable.Range(0, BatchSize).Select(i => $"document chunk number {i}").ToArray();
        await generator.GenerateAsync(inputs);
        var modelCalls = model.Calls;

        using var admin = ConnectionMultiplexer.Connect($"{server.EndPoint},allowAdmin=true");
        var redis = admin.GetServer(server.EndPoint);
        await foreach (var key in redis.KeysAsync(pattern: "*emb:*", pageSize: 1000))
        {
            var onServer = await admin.GetDatabase().StringLengthAsync(key);
            output.WriteLine($"On the server, with the cache's value header: {onServer:N0} bytes: {(double)onServer / json:P1} of JSON.");
            break;
        }

        var before = await CommandCallsAsync(redis);
        var embeddings = await generator.GenerateAsync(inputs);
        var after = await CommandCallsAsync(redis);

        // INFO itself is counted once between the two snapshots.
        var delta = after.Where(p => p.Value != before.GetValueOrDefault(p.Key)).ToDictionary(p => p.Key, p => p.Value - before.GetValueOrDefault(p.Key));
        delta["info"] = delta.GetValueOrDefault("info") - 1;
        var commands = delta.Where(p => p.Value > 0).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        var total = commands.Sum(p => p.Value);
        output.WriteLine(
            $"Batch of {BatchSize} cached embedding lookups on Dragonfly (redis-server): {total} command(s) on the server " +
            $"({string.Join(", ", commands.Select(p => $"{p.Key.ToUpperInvariant()} x{p.Value}"))}); model calls during the batch: {model.Calls - modelCalls}; " +
            $"vectors returned: {embeddings.Count}, all {FakeEmbeddingGenerator.Dimensions} floats: {embeddings.All(e => e.Vector.Length == FakeEmbeddingGenerator.Dimensions)}.");
    }

    private static async Task<Dictionary<string, long>> CommandCallsAsync(IServer server)
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        var info = await server.InfoAsync("commandstats");
        foreach (var group in info)
        {
            foreach (var pair in group)
            {
                // cmdstat_get: calls=12,usec=...
                if (pair.Key.StartsWith("cmdstat_", StringComparison.Ordinal))
                {
                    var fields = pair.Value.Split(',');
                    calls[pair.Key["cmdstat_".Length..]] = long.Parse(fields[0]["calls=".Length..], CultureInfo.InvariantCulture);
                }
            }
        }

        return calls;
    }
}
