using System.Net;
using Motadata.Cache.Server.Tests.Infrastructure;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Dashboard;

/// <summary>What <c>GET /v1/dashboard</c> reports, checked over HTTP: limits and quotas, and recovery during a real outage.</summary>
public sealed class DashboardFiguresTests
{
    [Fact]
    public async Task FiguresCarryTheLimitsAndEachTenantsQuota()
    {
        await using var host = await ServiceHost.StartAsync([new("Cache:MaxSize", "400"), new("Cache:MaxMemoryBytes", "10000000")]);
        var client = host.CreateClient();
        await DashboardBrowserTests.PutAsync(client, "acme", "a", "b");
        await DashboardBrowserTests.GetAsync(client, "acme", HttpStatusCode.OK, "a");

        var figures = await Http.ReadJsonAsync(await client.GetAsync("v1/dashboard"));
        var totals = figures.GetProperty("totals");
        Assert.Equal(400, totals.GetProperty("max_size").GetInt64());
        Assert.Equal(10000000, totals.GetProperty("max_memory_bytes").GetInt64());
        Assert.Equal(2, totals.GetProperty("sets").GetInt64());
        var tenant = Assert.Single(figures.GetProperty("tenants").EnumerateArray());
        Assert.Equal("acme", tenant.GetProperty("tenant").GetString());
        Assert.Equal(100, tenant.GetProperty("max_size").GetInt64());
        Assert.Equal(2, tenant.GetProperty("size").GetInt64());
        Assert.Equal(1, tenant.GetProperty("hits").GetInt64());
        Assert.Equal(0, figures.GetProperty("settings").GetProperty("pending_removals").GetInt32());
        Assert.False(figures.GetProperty("settings").GetProperty("recovery").GetBoolean());
    }

    [Fact]
    public async Task DuringADragonflyOutageTheJournalLengthAndTheHealthShow()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var host = await ServiceHost.StartAsync(
        [
            new("Cache:Backend", "Dragonfly"),
            new("Cache:DragonflyUrl", redis.Url),
            new("Cache:OperationTimeout", "00:00:05"),
        ]);
        var client = host.CreateClient();
        await DashboardBrowserTests.PutAsync(client, "acme", "a");

        await redis.KillAsync();
        await Http.AssertStatusAsync(await client.DeleteAsync("v1/tenants/acme/keys/a"), HttpStatusCode.Accepted);

        var figures = await Http.ReadJsonAsync(await client.GetAsync("v1/dashboard"));
        Assert.True(figures.GetProperty("settings").GetProperty("recovery").GetBoolean());
        Assert.Equal(1, figures.GetProperty("settings").GetProperty("pending_removals").GetInt32());
        Assert.NotEqual("Healthy", figures.GetProperty("health").GetProperty("status").GetString());
        Assert.Contains(redis.EndPoint, figures.GetProperty("health").GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.True(figures.GetProperty("totals").GetProperty("backend_failures").GetInt64() > 0);
    }

    [Fact]
    public async Task OnShardedServersEachServersShareAndHealthShowAndAKilledOneIsNotHealthy()
    {
        await using var healthy = await RedisServer.StartAsync();
        await using var doomed = await RedisServer.StartAsync();
        await using var host = await ServiceHost.StartAsync(
        [
            new("Cache:Backend", "Dragonfly"),
            new("Cache:DragonflyUrl", $"dragonfly://{healthy.EndPoint},{doomed.EndPoint}"),
            new("Cache:EnableSharding", "true"),
            new("Cache:ShardCount", "2"),
            new("Cache:OperationTimeout", "00:00:05"),
        ]);
        var client = host.CreateClient();
        var keys = Enumerable.Range(0, 64).Select(static i => $"k{i}").ToArray();
        await DashboardBrowserTests.PutAsync(client, "acme", keys);

        var before = await NodesAsync(client);
        Assert.Equal(new[] { doomed.EndPoint, healthy.EndPoint }.Order(StringComparer.Ordinal), before.Keys.Order(StringComparer.Ordinal));
        Assert.All(before.Values, static node => Assert.Equal("Healthy", node.GetProperty("status").GetString()));
        Assert.Equal(64, before.Values.Sum(static node => node.GetProperty("size").GetInt64()));

        await doomed.KillAsync();

        // 64 keys placed by rendezvous hashing over both servers: the writes of the killed one's keys fail there
        // (503), the others are stored (204).
        var statuses = new List<HttpStatusCode>();
        foreach (var key in keys)
        {
            statuses.Add((await client.PutAsync($"v1/tenants/acme/keys/{key}", Http.Bytes("2"u8.ToArray(), "application/json"))).StatusCode);
        }

        Assert.Contains(HttpStatusCode.ServiceUnavailable, statuses);
        Assert.Contains(HttpStatusCode.NoContent, statuses);
        var after = await NodesAsync(client);
        Assert.Equal("Healthy", after[healthy.EndPoint].GetProperty("status").GetString());
        Assert.NotEqual("Healthy", after[doomed.EndPoint].GetProperty("status").GetString());
        Assert.Contains(doomed.EndPoint, after[doomed.EndPoint].GetProperty("last_error").GetString(), StringComparison.Ordinal);
    }

    private static async Task<Dictionary<string, System.Text.Json.JsonElement>> NodesAsync(HttpClient client)
    {
        var figures = await Http.ReadJsonAsync(await client.GetAsync("v1/dashboard"));
        return figures.GetProperty("nodes").EnumerateArray().ToDictionary(static node => node.GetProperty("endpoint").GetString()!, static node => node.Clone(), StringComparer.Ordinal);
    }
}
