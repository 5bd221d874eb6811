using System.Collections.Concurrent;
using System.Diagnostics;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Backends.Memory;

namespace Motadata.Cache.Benchmarks.Diagnostics;

/// <summary>
/// <c>-- tableprobe</c>: the memory store's key lookup alone, over 10,000 and 1,000,000 keys read in turn: its own
/// <see cref="NodeTable"/> against the <see cref="ConcurrentDictionary{TKey, TValue}"/> it replaced (both with the
/// runtime's non-randomized hash), with the fast hash and Marvin alone, in order and shuffled (sequential keys hash to
/// nearby buckets under the fast hash, which flatters a large table read in order). Interleaved rounds, fastest kept (as
/// <see cref="HitPathProbe"/>): diagnostics for a shared machine, not figures of record.
/// </summary>
public static class KeyTableProbe
{
    private const int Rounds = 60;

    public static void Run(TextWriter output)
    {
        foreach (var count in new[] { 10_000, 1_000_000 })
        {
            var segment = new TenantSegment(null, new CacheCounters().Global, null, null, long.MaxValue);
            var keys = new string[count];
            var shuffled = new string[count];
            var table = new NodeTable();
            var dictionary = new ConcurrentDictionary<string, MemoryNode>();
            for (var i = 0; i < count; i++)
            {
                keys[i] = $"key-{i:D6}";
                var node = new MemoryNode(keys[i], segment);
                table.Add(node);
                dictionary[keys[i]] = node;
            }

            keys.CopyTo(shuffled, 0);
            new Random(7).Shuffle(shuffled);

            // Each lookup also reads the node's expiry and value, as a hit does: the table's own chain walk touches the
            // node where the dictionary touches its own node first.
            var steps = new (string Name, Func<int> Body)[]
            {
                ("NodeTable hit", () => Hits(table, keys)),
                ("ConcurrentDictionary hit", () => Hits(dictionary, keys)),
                ("NodeTable hit, shuffled", () => Hits(table, shuffled)),
                ("ConcurrentDictionary hit, shuffled", () => Hits(dictionary, shuffled)),
                ("NodeTable.FastHash", () => { var h = 0; foreach (var key in keys) { h += NodeTable.FastHash(key); } return h; }),
                ("string.GetHashCode (Marvin)", () => { var h = 0; foreach (var key in keys) { h += key.GetHashCode(); } return h; }),
            };

            var best = new double[steps.Length];
            Array.Fill(best, double.MaxValue);
            var sink = 0;
            for (var round = 0; round < Rounds; round++)
            {
                for (var s = 0; s < steps.Length; s++)
                {
                    var start = Stopwatch.GetTimestamp();
                    sink += steps[s].Body();
                    best[s] = Math.Min(best[s], Stopwatch.GetElapsedTime(start).TotalNanoseconds / count);
                }
            }

            output.WriteLine($"{count:N0} keys of 10 characters read in turn, fastest of {Rounds} rounds (ns per lookup, loop included):");
            for (var s = 0; s < steps.Length; s++)
            {
                output.WriteLine($"  {steps[s].Name,-36} {best[s],6:F1} ns");
            }

            GC.KeepAlive(sink);
        }
    }

    private static int Hits(NodeTable table, string[] keys)
    {
        var h = 0;
        foreach (var key in keys)
        {
            if (table.TryGetValue(key, out var node) && Volatile.Read(ref node.ExpiresAt) != 1 && node.Value is null)
            {
                h++;
            }
        }

        return h;
    }

    private static int Hits(ConcurrentDictionary<string, MemoryNode> dictionary, string[] keys)
    {
        var h = 0;
        foreach (var key in keys)
        {
            if (dictionary.TryGetValue(key, out var node) && Volatile.Read(ref node.ExpiresAt) != 1 && node.Value is null)
            {
                h++;
            }
        }

        return h;
    }
}
