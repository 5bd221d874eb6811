using System.Net;
using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Security;

/// <summary>Rate limiting (a token bucket per tenant, and one per API key) over real HTTP.</summary>
public sealed class RateLimitTests
{
    private const string Key = "rate-limit-key-0123456789";

    private const string OtherKey = "other-rate-limit-key-0123456789";

    private static Task<ServiceHost> StartWithKeyLimitAsync() => ServiceHost.StartAsync(
    [
        // Tenants are allowed plenty; one key may make 3 requests at once and 1 a second, whatever the tenant.
        new("Service:RateLimit:PermitsPerSecond", "1000"),
        new("Service:RateLimit:KeyPermitsPerSecond", "1"),
        new("Service:RateLimit:KeyBurst", "3"),
        new("Service:ApiKeys:0:Key", Key),
        new("Service:ApiKeys:0:Tenants:0", "*"),
        new("Service:ApiKeys:0:Admin", "true"),
        new("Service:ApiKeys:1:Key", OtherKey),
        new("Service:ApiKeys:1:Tenants:0", "*"),
    ]);

    /// <summary>Sends requests until one is refused; the bucket allows 3 at once and 1 a second, so 30 are far more than enough.</summary>
    private static async Task<HttpResponseMessage> FirstRejectionAsync(Func<int, Task<HttpResponseMessage>> send)
    {
        for (var i = 0; i < 30; i++)
        {
            var response = await send(i);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return response;
            }

            await Http.AssertStatusAsync(response, HttpStatusCode.OK);
        }

        Assert.Fail("No request was refused.");
        return null!;
    }

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
    public async Task ATenantsBucketRefillsAsTheCachesClockMovesAndNotBefore()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await ServiceHost.StartAsync(
        [
            new("Service:RateLimit:PermitsPerSecond", "1"),
            new("Service:RateLimit:Burst", "2"),
            new("Service:ApiKeys:0:Key", Key),
            new("Service:ApiKeys:0:Tenants:0", "*"),
        ],
            config => config.TimeProvider = time);
        var client = host.CreateClient(Key);

        // The burst, then a refusal that says to come back in a second: the clock has not moved, so nothing refilled.
        await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/t/stats"));
        await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/t/stats"));
        var refused = await client.GetAsync("v1/tenants/t/stats");
        await Http.AssertProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);

        time.Advance(TimeSpan.FromMilliseconds(999));
        await Http.AssertProblemAsync(await client.GetAsync("v1/tenants/t/stats"), HttpStatusCode.TooManyRequests);

        // One second on the clock: one permit, and only one.
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/t/stats"));
        await Http.AssertProblemAsync(await client.GetAsync("v1/tenants/t/stats"), HttpStatusCode.TooManyRequests);

        // Idle long enough, the bucket is full again: the whole burst.
        time.Advance(TimeSpan.FromSeconds(10));
        await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/t/stats"));
        await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/t/stats"));
        await Http.AssertProblemAsync(await client.GetAsync("v1/tenants/t/stats"), HttpStatusCode.TooManyRequests);
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
    public async Task KeyForEveryTenantRotatingTenantsIsLimitedPerKeyWhileAnotherKeyIsServed()
    {
        // Issue 21: each tenant's bucket was fresh, so a '*' key rotating tenants was never limited.
        await using var host = await StartWithKeyLimitAsync();
        var rotating = host.CreateClient(Key);

        var limited = await FirstRejectionAsync(i => rotating.GetAsync($"v1/tenants/t{i}/stats"));

        var detail = await Http.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.Contains("API key", detail, StringComparison.Ordinal);
        Assert.Contains("KeyPermitsPerSecond", detail, StringComparison.Ordinal);
        Assert.NotNull(limited.Headers.RetryAfter?.Delta);
        await Http.ReadJsonAsync(await host.CreateClient(OtherKey).GetAsync("v1/tenants/t0/stats"));
    }

    [Fact]
    public async Task AdminRoutesAreLimitedPerKey()
    {
        await using var host = await StartWithKeyLimitAsync();
        var admin = host.CreateClient(Key);

        var limited = await FirstRejectionAsync(_ => admin.GetAsync("v1/stats"));

        var detail = await Http.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.Contains("API key", detail, StringComparison.Ordinal);
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
