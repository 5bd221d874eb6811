using System.Numerics.Tensors;
using Motadata.Cache.AI.Internal;

namespace Motadata.Cache.Benchmarks.AI;

/// <summary>A tenant's semantic index filled with random unit vectors in one scope, and queries near some of them.</summary>
internal static class SemanticIndexFill
{
    public const string Scope = "chat:scope";

    /// <param name="clustered">
    /// False: independent random vectors (unrelated prompts: the 8-bit first pass drops nearly all). True: 100 clusters
    /// whose members are at a cosine of about 0.88 to each other, just under the threshold, so about a cluster's worth
    /// of vectors survive the first pass of each lookup and are scored on their floats (a tenant whose prompts are all
    /// about one product).
    /// </param>
    public static (SemanticIndex Index, float[][] Queries) Create(int entries, int dimensions, int queries, int seed = 7, bool clustered = false)
    {
        var random = new Random(seed);
        var index = new SemanticIndex(entries);
        var stored = new float[entries][];
        var centers = clustered ? Enumerable.Range(0, 100).Select(_ => RandomUnit(random, dimensions)).ToArray() : null;
        for (var i = 0; i < entries; i++)
        {
            var vector = centers is null ? RandomUnit(random, dimensions) : Near(random, centers[i % centers.Length], 0.37f / MathF.Sqrt(dimensions / 12f));
            stored[i] = (float[])vector.Clone();
            index.Add(new SemanticEntry($"{i:x32}", Scope, $"prompt {i}", $"chat:{i}", 0, long.MaxValue, vector));
        }

        // Half the queries are a stored vector with a little noise (a paraphrase: one candidate), half are random (a miss).
        var result = new float[queries][];
        for (var q = 0; q < queries; q++)
        {
            if (q % 2 == 0)
            {
                var near = (float[])stored[random.Next(entries)].Clone();
                for (var d = 0; d < dimensions; d++)
                {
                    near[d] += (float)(random.NextDouble() - 0.5) * 0.01f;
                }

                TensorPrimitives.Divide(near, TensorPrimitives.Norm(near), near);
                result[q] = near;
            }
            else
            {
                result[q] = RandomUnit(random, dimensions);
            }
        }

        return (index, result);
    }

    private static float[] Near(Random random, float[] center, float noise)
    {
        var vector = new float[center.Length];
        for (var d = 0; d < center.Length; d++)
        {
            vector[d] = center[d] + ((float)(random.NextDouble() - 0.5) * noise);
        }

        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
        return vector;
    }

    private static float[] RandomUnit(Random random, int dimensions)
    {
        var vector = new float[dimensions];
        for (var d = 0; d < dimensions; d++)
        {
            vector[d] = (float)(random.NextDouble() - 0.5);
        }

        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
        return vector;
    }
}
