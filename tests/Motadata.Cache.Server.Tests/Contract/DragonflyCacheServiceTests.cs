using System.Net;
using Motadata.Cache.Server.Tests.Infrastructure;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Contract;

/// <summary>The service contract on the Dragonfly backend, against a real <c>redis-server</c> (same protocol).</summary>
public sealed class DragonflyCacheServiceTests : CacheServiceContractTests, IAsyncLifetime
{
    private RedisServer? _redis;

    protected override IEnumerable<KeyValuePair<string, string?>> BackendSettings =>
    [
        new("Cache:Backend", "Dragonfly"),
        new("Cache:DragonflyUrl", Redis.Url),

        // Generous, because the machine is shared: a call that timed out before a test injects its fault would fail
        // the test (recovery off) or read as a miss (recovery on). The tests kill the server, which fails calls at once.
        new("Cache:OperationTimeout", "00:00:05"),
    ];

    private RedisServer Redis => _redis ?? throw new InvalidOperationException("The server is not started.");

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    [Fact]
    public async Task ValuesAreStoredOnTheServerAndSurviveAServiceRestart()
    {
        var tenant = NewTenant();
        var body = new byte[] { 0, 255, 1, 254 };
        await using (var first = await StartAsync())
        {
            await Http.AssertStatusAsync(await first.CreateClient().PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes(body, "application/x-thing")), HttpStatusCode.NoContent);
        }

        Assert.NotEqual("*0\r\n", await Redis.CommandAsync("KEYS", "*"));
        await using var second = await StartAsync();
        var get = await second.CreateClient().GetAsync($"v1/tenants/{tenant}/keys/k");

        await Http.AssertStatusAsync(get, HttpStatusCode.OK);
        Assert.Equal("application/x-thing", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task TtlIsSetOnTheServer()
    {
        await using var host = await StartAsync(("Cache:KeyPrefix", "ttltest:"));
        await host.CreateClient().PutAsync($"v1/tenants/{NewTenant()}/keys/k?ttl=100", Http.Bytes("v"u8.ToArray(), "text/plain"));

        var keys = await Redis.CommandAsync("KEYS", "ttltest:*");
        var key = keys.Split("\r\n")[2];
        var ttl = await Redis.CommandAsync("TTL", key);

        Assert.InRange(int.Parse(ttl.TrimStart(':').Trim(), System.Globalization.CultureInfo.InvariantCulture), 90, 100);
    }

    [Fact]
    public async Task ReadinessIs503WhenTheServerIsGone()
    {
        await using var host = await StartAsync(("Cache:EnableRecovery", "false"), ("Service:ReadinessTimeout", "00:00:10"), ("Cache:OperationTimeout", "00:00:05"));
        var client = host.CreateClient();
        await Http.AssertStatusAsync(await client.GetAsync("readyz"), HttpStatusCode.OK);

        await Redis.KillAsync();

        await Http.AssertProblemAsync(await client.GetAsync("readyz"), HttpStatusCode.ServiceUnavailable);
        await Http.AssertStatusAsync(await client.GetAsync("healthz"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task ServiceStartsWhileTheServerIsDownAndIsReadyOnceItIsUp()
    {
        await Redis.KillAsync();

        await using var host = await StartAsync(("Cache:EnableRecovery", "false"), ("Cache:OperationTimeout", "00:00:05"));
        var client = host.CreateClient();
        await Http.AssertStatusAsync(await client.GetAsync("healthz"), HttpStatusCode.OK);
        await Http.AssertProblemAsync(await client.GetAsync("readyz"), HttpStatusCode.ServiceUnavailable);

        await Redis.RestartAsync();

        await PollAsync(client, HttpStatusCode.OK);
        await Http.AssertStatusAsync(await client.PutAsync($"v1/tenants/{NewTenant()}/keys/k", Http.Bytes("v"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task WithRecoveryOffAnOutageIs503ProblemOnReadsAndWrites()
    {
        await using var host = await StartAsync(("Cache:EnableRecovery", "false"), ("Cache:OperationTimeout", "00:00:05"));
        var client = host.CreateClient();
        var tenant = NewTenant();
        await Http.AssertStatusAsync(await client.PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes("v"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);

        await Redis.KillAsync();

        var read = await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{tenant}/keys/k"), HttpStatusCode.ServiceUnavailable);
        var write = await Http.AssertProblemAsync(await client.PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes("w"u8.ToArray(), "text/plain")), HttpStatusCode.ServiceUnavailable);
        Assert.Contains("backend failed", read, StringComparison.Ordinal);
        Assert.Contains("backend failed", write, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithRecoveryReadinessTurns503OnceTheBreakerOpensAnd200AfterTheServerReturns()
    {
        await using var host = await StartAsync(("Cache:RecoveryBreakDuration", "00:00:00.5"), ("Cache:OperationTimeout", "00:00:05"));
        var client = host.CreateClient();
        await Http.AssertStatusAsync(await client.GetAsync("readyz"), HttpStatusCode.OK);

        await Redis.KillAsync();

        // Each probe is a real call; failed calls move the breaker until it opens.
        var unavailable = await PollAsync(client, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("application/problem+json", unavailable.Content.Headers.ContentType?.MediaType);
        await Http.AssertStatusAsync(await client.GetAsync("healthz"), HttpStatusCode.OK);

        await Redis.RestartAsync();

        var ready = await PollAsync(client, HttpStatusCode.OK);
        Assert.Equal("application/json", ready.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<HttpResponseMessage> PollAsync(HttpClient client, HttpStatusCode wanted)
    {
        HttpResponseMessage? last = null;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            last = await client.GetAsync("readyz");
            if (last.StatusCode == wanted)
            {
                return last;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"/readyz never answered {(int)wanted}; last answer {(int)last!.StatusCode}: {await last.Content.ReadAsStringAsync()}");
        return last;
    }
}
