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
    public async Task WithRecoveryOnAWriteDuringAnOutageIs503NotATooLargeRefusal()
    {
        // The service once guessed 413 or 503 from the backend type; it now maps the cache's own answer
        // (CacheWriteStatus): an outage is 503 whatever the backend, and 413 is kept for values that are too large.
        await using var host = await StartAsync(("Cache:OperationTimeout", "00:00:02"), ("Cache:RecoveryBreakDuration", "00:00:30"));
        var client = host.CreateClient();
        var tenant = NewTenant();
        await Http.AssertStatusAsync(await client.PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes("small"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);

        Redis.Pause();
        try
        {
            var unavailable = await Http.AssertProblemAsync(await client.PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes("new"u8.ToArray(), "text/plain")), HttpStatusCode.ServiceUnavailable);
            Assert.Contains("unreachable", unavailable, StringComparison.Ordinal);
        }
        finally
        {
            Redis.Resume();
        }
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

    [Fact]
    public async Task DuringAnOutageRemovalsAreAnswered202QueuedAndReplayedOnceTheServerAnswers()
    {
        // A timeout that a busy machine cannot reach before the pause (the writes below must succeed), short enough
        // that the removals during the pause give up quickly.
        await using var host = await StartAsync(("Cache:KeyPrefix", "queued:"), ("Cache:OperationTimeout", "00:00:02"), ("Cache:RecoveryBreakDuration", "00:00:00.5"));
        var client = host.CreateClient();
        var tenant = NewTenant();
        foreach (var key in new[] { "k", "user_1", "user_2", "other" })
        {
            await Http.AssertStatusAsync(await client.PutAsync($"v1/tenants/{tenant}/keys/{key}", Http.Bytes("v"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);
        }

        var cleared = NewTenant();
        await Http.AssertStatusAsync(await client.PutAsync($"v1/tenants/{cleared}/keys/c", Http.Bytes("v"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);

        Redis.Pause();
        try
        {
            var deleted = await Http.ReadJsonAsync(await client.DeleteAsync($"v1/tenants/{tenant}/keys/k"), HttpStatusCode.Accepted);
            var invalidated = await Http.ReadJsonAsync(await client.PostAsync($"v1/tenants/{tenant}/invalidate", Http.Json("{\"pattern\": \"user_*\"}")), HttpStatusCode.Accepted);

            Assert.True(deleted.GetProperty("queued").GetBoolean());
            Assert.True(invalidated.GetProperty("queued").GetBoolean());
            Assert.Equal(0, invalidated.GetProperty("invalidated").GetInt64());

            var clear = await Http.ReadJsonAsync(await client.DeleteAsync($"v1/tenants/{cleared}/keys"), HttpStatusCode.Accepted);
            Assert.True(clear.GetProperty("queued").GetBoolean());
            Assert.Equal(0, clear.GetProperty("cleared").GetInt64());
        }
        finally
        {
            Redis.Resume();
        }

        // The replay removes them on the server; only "other" is left. Polled: the replay runs on its own schedule.
        string keys = string.Empty;
        for (var attempt = 0; attempt < 300; attempt++)
        {
            keys = await Redis.CommandAsync("KEYS", "queued:*");
            if (keys.StartsWith("*1\r\n", StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.StartsWith("*1\r\n", keys, StringComparison.Ordinal);
        Assert.Contains("other", keys, StringComparison.Ordinal);

        // The journal is replayed, but recovery calls the server healthy only once its breaker has closed and no failure
        // is recent: until then a removal is still queued (202). Once it is not, the key is gone (404).
        HttpResponseMessage again;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((again = await client.DeleteAsync($"v1/tenants/{tenant}/keys/k")).StatusCode == HttpStatusCode.Accepted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await Http.AssertProblemAsync(again, HttpStatusCode.NotFound);
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
