using System.Net;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Security;

/// <summary>Per-tenant rate limiting (a token bucket per tenant) over real HTTP.</summary>
public sealed class RateLimitTests
{
    private const string Key = "rate-limit-key-0123456789";

    private static Task<ServiceHost> StartAsync() => ServiceHost.StartAsync(
    [
        new("Service:RateLimit:PermitsPerSecond", "1"),
        new("Service:RateLimit:Burst", "2"),
        new("Service:ApiKeys:0:Key", Key),
        new("Service:ApiKeys:0:Tenants:0", "*"),
    ]);

    [Fact]
    public async Task TenantOverItsLimitGets429ProblemWithRetryAfterWhileOtherTenantsAreServed()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient(Key);

        // The bucket starts full: the burst is always served.
        await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/busy/stats"));
        await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/busy/stats"));

        HttpResponseMessage? limited = null;
        for (var i = 0; i < 20 && limited is null; i++)
        {
            var response = await client.GetAsync("v1/tenants/busy/stats");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
        }

        Assert.NotNull(limited);
        var detail = await Http.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.Contains("busy", detail, StringComparison.Ordinal);
        Assert.NotNull(limited.Headers.RetryAfter?.Delta);

        await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/quiet/stats"));
    }

    [Fact]
    public async Task RequestsWithoutAValidKeySpendNoneOfTheTenantsBudget()
    {
        await using var host = await StartAsync();
        var anonymous = host.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            await Http.AssertProblemAsync(await anonymous.GetAsync("v1/tenants/victim/stats"), HttpStatusCode.Unauthorized);
        }

        var client = host.CreateClient(Key);

        await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/victim/stats"));
        await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/victim/stats"));
    }

    [Fact]
    public async Task ProbesAreNotRateLimited()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();

        for (var i = 0; i < 10; i++)
        {
            await Http.AssertStatusAsync(await client.GetAsync("healthz"), HttpStatusCode.OK);
        }
    }
}
