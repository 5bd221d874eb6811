using System.Numerics.Tensors;
using Motadata.Cache.AI.Internal;

namespace Motadata.Cache.AI.Tests.Semantic;

/// <summary>The per-tenant index: its 8-bit first pass must never lose a match an exact scan finds.</summary>
public sealed class SemanticIndexTests
{
    private static float[] Unit(Random random, int dimensions, float[]? near = null, float noise = 0f)
    {
        var vector = new float[dimensions];
        for (var d = 0; d < dimensions; d++)
        {
            vector[d] = near is null ? (float)(random.NextDouble() - 0.5) : near[d] + ((float)(random.NextDouble() - 0.5) * noise);
        }

        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
        return vector;
    }

    [Theory]
    [InlineData(37)]
    [InlineData(384)]
    [InlineData(1536)]
    public void WhenSearchedItFindsExactlyTheVectorsAnExactScanFindsWithTheirExactScores(int dimensions)
    {
        var random = new Random(dimensions);
        var index = new SemanticIndex(maxEntries: 600);
        var stored = new List<float[]>();
        for (var i = 0; i < 500; i++)
        {
            // Clusters, so many vectors sit near the threshold of a query from the same cluster.
            var vector = i % 5 == 0 || stored.Count == 0 ? Unit(random, dimensions) : Unit(random, dimensions, stored[random.Next(stored.Count)], noise: 0.02f + (0.01f * (i % 7)));
            stored.Add(vector);
            index.Add(new SemanticEntry($"{i:x32}", "scope", $"p{i}", $"k{i}", 0, long.MaxValue, (float[])vector.Clone()));
        }

        var checkedMatches = 0;
        foreach (var threshold in new[] { 0.5f, 0.9f, 0.95f, 0.99f })
        {
            for (var q = 0; q < 40; q++)
            {
                var query = Unit(random, dimensions, stored[random.Next(stored.Count)], noise: 0.03f);
                var expected = stored
                    .Select((vector, i) => (Id: $"{i:x32}", Score: TensorPrimitives.Dot(query, vector)))
                    .Where(x => x.Score >= threshold)
                    .OrderByDescending(x => x.Score)
                    .ToList();

                var found = index.Search("scope", query, threshold, nowUtcTicks: 1, long.MinValue) ?? [];

                Assert.Equal(expected.Select(x => x.Id).ToHashSet(), found.Select(x => x.Entry.Id).ToHashSet());
                Assert.All(found.Zip(found.Skip(1)), pair => Assert.True(pair.First.Score >= pair.Second.Score));
                checkedMatches += found.Count;
            }
        }

        Assert.True(checkedMatches > 100, $"only {checkedMatches} matches: the test would not exercise the threshold");
    }

    [Fact]
    public void WhenTheBoundIsReachedTheOldestEntryLeavesAndRemovalKeepsTheOthersFindable()
    {
        var random = new Random(3);
        var index = new SemanticIndex(maxEntries: 3);
        var vectors = Enumerable.Range(0, 4).Select(_ => Unit(random, 64)).ToArray();
        for (var i = 0; i < 4; i++)
        {
            index.Add(new SemanticEntry($"{i:x32}", "scope", $"p{i}", $"k{i}", cachedAtUtcTicks: i, long.MaxValue, (float[])vectors[i].Clone()));
        }

        Assert.Equal(3, index.Count);
        Assert.Null(index.Search("scope", vectors[0], 0.99f, 1, long.MinValue));
        Assert.True(index.Remove($"{1:x32}"));
        Assert.Equal($"{3:x32}", Assert.Single(index.Search("scope", vectors[3], 0.99f, 1, long.MinValue)!).Entry.Id);
        Assert.Equal($"{2:x32}", Assert.Single(index.Search("scope", vectors[2], 0.99f, 1, long.MinValue)!).Entry.Id);
    }

    [Fact]
    public void WhenAnEntryHasExpiredOrIsOlderThanTheMaxAgeItIsNotFound()
    {
        var random = new Random(4);
        var index = new SemanticIndex(maxEntries: 10);
        var vector = Unit(random, 64);
        index.Add(new SemanticEntry($"{1:x32}", "scope", "p", "k", cachedAtUtcTicks: 100, expiresAtUtcTicks: 200, (float[])vector.Clone()));

        Assert.NotNull(index.Search("scope", vector, 0.99f, nowUtcTicks: 150, long.MinValue));
        Assert.Null(index.Search("scope", vector, 0.99f, nowUtcTicks: 200, long.MinValue));
        Assert.Null(index.Search("scope", vector, 0.99f, nowUtcTicks: 150, minCachedAtUtcTicks: 101));
        Assert.Null(index.Search("other-scope", vector, 0.5f, nowUtcTicks: 150, long.MinValue));
    }
}
