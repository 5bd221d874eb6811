namespace Motadata.Cache.AI.Tests.Integrations;

public sealed class DragonflyCachingEmbeddingGeneratorTests(RedisServerFixture redis) : CachingEmbeddingGeneratorTests, IClassFixture<RedisServerFixture>
{
    protected override void ConfigureBackend(CacheConfig config) => redis.Configure(config);

    [Fact]
    public async Task WhenABatchOf100IsLookedUpTheServerSeesOneMget()
    {
        var model = new FakeEmbeddingGenerator();
        var generator = Build(model, CreateCache(), o => o.TenantId = "t");
        var inputs = Enumerable.Range(0, 100).Select(i => $"text {i}").ToArray();
        await generator.GenerateAsync(inputs);
        var before = MgetCalls(await redis.Server.CommandAsync("INFO", "commandstats"));

        var result = await generator.GenerateAsync(inputs);

        Assert.Equal(100, result.Count);
        Assert.Single(model.Batches);
        Assert.Equal(before + 1, MgetCalls(await redis.Server.CommandAsync("INFO", "commandstats")));
    }

    private static long MgetCalls(string info)
    {
        foreach (var line in info.Split('\n'))
        {
            if (line.StartsWith("cmdstat_mget:calls=", StringComparison.Ordinal))
            {
                var end = line.IndexOf(',', StringComparison.Ordinal);
                return long.Parse(line["cmdstat_mget:calls=".Length..end], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
