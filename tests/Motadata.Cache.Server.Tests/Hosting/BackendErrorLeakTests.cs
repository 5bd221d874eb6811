using System.Net;
using System.Text.Json;
using Motadata.Cache.Server.Tests.Infrastructure;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Hosting;

/// <summary>
/// Issue 21, N8: during an outage of a real <c>redis-server</c> (paused with SIGSTOP, so commands queue and time out),
/// no response carries the backend's own text: StackExchange.Redis's timeout message named the next queued command,
/// another tenant's key included, and it reached the unauthenticated <c>/readyz</c> and, with recovery off, any
/// tenant's 503.
/// </summary>
public sealed class BackendErrorLeakTests : IAsyncLifetime
{
    private const string AcmeKey = "acme-key-0123456789abcdef";
    private const string GlobexKey = "globex-key-0123456789abcdef";

    // What the backend's text holds: the key prefix, the other tenant, its key, the command, the client's words.
    private static readonly string[] s_leaks = ["leak:", "globex", "patient", "SETEX", "Timeout", "StackExchange", "Redis", "inst:", "mgr:", "qs:"];
    private RedisServer? _redis;

    private RedisServer Redis => _redis!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    [Fact]
    public async Task DuringAnOutageNeitherReadinessNorATenants503CarriesTheBackendsTextOrAnotherTenantsKey()
    {
        await using var host = await ServiceHost.StartAsync(
        [
            new("Cache:Backend", "Dragonfly"),
            new("Cache:DragonflyUrl", Redis.Url),
            new("Cache:KeyPrefix", "leak:"),
            new("Cache:EnableRecovery", "false"),
            new("Cache:OperationTimeout", "00:00:01"),
            new("Service:ReadinessTimeout", "00:00:30"),
            new("Service:ApiKeys:0:Key", AcmeKey),
            new("Service:ApiKeys:0:Tenants:0", "acme"),
            new("Service:ApiKeys:1:Key", GlobexKey),
            new("Service:ApiKeys:1:Tenants:0", "globex"),
        ]);
        var acme = host.CreateClient(AcmeKey);
        var globex = host.CreateClient(GlobexKey);
        var anonymous = host.CreateClient();
        await Http.AssertStatusAsync(await acme.PutAsync("v1/tenants/acme/keys/k", Http.Bytes("v"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);
        await Http.AssertStatusAsync(await anonymous.GetAsync("readyz"), HttpStatusCode.OK);

        Redis.Pause();
        try
        {
            // globex's writes queue behind each other on the frozen connection while acme and the probe wait too.
            var globexWrites = Enumerable.Range(0, 8)
                .Select(i => globex.PutAsync($"v1/tenants/globex/keys/patient-4711-diagnosis-{i}", Http.Bytes("secret"u8.ToArray(), "text/plain")))
                .ToArray();
            var acmeRead = acme.GetAsync("v1/tenants/acme/keys/k");
            var readiness = anonymous.GetAsync("readyz");

            var readinessDetail = await Http.AssertProblemAsync(await readiness, HttpStatusCode.ServiceUnavailable);
            Assert.Equal("Unavailable: the Dragonfly backend does not answer.", readinessDetail);

            var acmeResponse = await acmeRead;
            var acmeBody = await acmeResponse.Content.ReadAsStringAsync();
            var acmeDetail = await Http.AssertProblemAsync(acmeResponse, HttpStatusCode.ServiceUnavailable);
            AssertNoLeak(acmeBody);
            using var problem = JsonDocument.Parse(acmeBody);

            // The detail names the request's trace, under which the service logged the backend's text: the very string
            // the body's trace_id carries (the W3C traceparent), so one search finds the log line.
            Assert.True(problem.RootElement.TryGetProperty("trace_id", out var traceParent), acmeBody);
            var traceId = traceParent.GetString()!;
            Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$", traceId);
            Assert.Contains($"trace id {traceId}.", acmeDetail, StringComparison.Ordinal);

            foreach (var write in globexWrites)
            {
                var response = await write;
                var body = await response.Content.ReadAsStringAsync();
                await Http.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
                Assert.DoesNotContain("patient", body, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("leak:", body, StringComparison.Ordinal);
            }
        }
        finally
        {
            Redis.Resume();
        }
    }

    private static void AssertNoLeak(string body)
    {
        foreach (var leak in s_leaks)
        {
            Assert.False(body.Contains(leak, StringComparison.OrdinalIgnoreCase), $"The answer holds '{leak}': {body}");
        }
    }
}
