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
}
