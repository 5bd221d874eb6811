using System.Diagnostics;
using System.Globalization;

namespace Motadata.Cache.Benchmarks.AI;

/// <summary>
/// <c>-- semantic</c>: p50 and p99 of a semantic lookup over 10,000 cached prompts of one tenant (one scope), at 384
/// and 1,536 dimensions, and the memory the index holds per cached vector. Lookups run one after another on one
/// thread, each timed with <see cref="Stopwatch"/>; the figures are of the in-process index search (the embedding of
/// the prompt and the read of the answer come on top).
/// </summary>
internal static class SemanticReport
{
    private const int Entries = 10_000;
    private const int Lookups = 2_000;

    public static void Run(TextWriter output)
    {
        foreach (var clustered in new[] { false, true })
        {
            output.WriteLine(clustered ? "Clustered prompts (100 clusters, members at cosine ~0.88):" : "Unrelated prompts (random vectors):");
            foreach (var dimensions in new[] { 384, 1536 })
            {
                // One method call per size, so nothing of the previous index is still rooted when this one is measured.
                RunOne(output, dimensions, clustered);
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void RunOne(TextWriter output, int dimensions, bool clustered)
    {
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var before = GC.GetTotalMemory(forceFullCollection: true);
            var (index, queries) = SemanticIndexFill.Create(Entries, dimensions, queries: 64, clustered: clustered);
            GC.Collect();
            var after = GC.GetTotalMemory(forceFullCollection: true);

            // Warm up, then time each lookup.
            for (var i = 0; i < 200; i++)
            {
                index.Search(SemanticIndexFill.Scope, queries[i & 63], 0.92f, 1, long.MinValue);
            }

            var times = new double[Lookups];
            var found = 0;
            for (var i = 0; i < Lookups; i++)
            {
                var start = Stopwatch.GetTimestamp();
                found += index.Search(SemanticIndexFill.Scope, queries[i & 63], 0.92f, 1, long.MinValue)?.Count ?? 0;
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            Array.Sort(times);
            var perVector = (after - before) / (double)Entries;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{dimensions,5} dims, {Entries:N0} prompts: p50 {times[Lookups / 2]:F3} ms, p99 {times[(int)(Lookups * 0.99)]:F3} ms, max {times[^1]:F3} ms; candidates found {found} in {Lookups} lookups; " +
                $"memory per cached prompt {perVector:F0} B (vector {dimensions * sizeof(float)} B in the slab, {index.VectorBytes / (double)Entries:F0} B with the slab's spare capacity)"));
            GC.KeepAlive(index);
        }
    }
}
