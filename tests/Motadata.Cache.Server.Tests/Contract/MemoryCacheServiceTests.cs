using System.Net;
using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Contract;

/// <summary>The service contract on the embedded memory backend, plus what needs its fake clock.</summary>
public sealed class MemoryCacheServiceTests : CacheServiceContractTests
{
    protected override IEnumerable<KeyValuePair<string, string?>> BackendSettings => [new("Cache:Backend", "Memory")];

    [Fact]
    public async Task EntryExpiresAfterItsTtlAndTheDefaultTtlAppliesWithoutOne()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await ServiceHost.StartAsync(
            [new("Cache:Backend", "Memory"), new("Cache:Ttl", "00:01:00")],
            config => config.TimeProvider = clock);
        var client = host.CreateClient();
        await client.PutAsync("v1/tenants/t/keys/short?ttl=10", Http.Bytes("s"u8.ToArray(), "text/plain"));
        await client.PutAsync("v1/tenants/t/keys/default", Http.Bytes("d"u8.ToArray(), "text/plain"));

        clock.Advance(TimeSpan.FromSeconds(11));
        await Http.AssertProblemAsync(await client.GetAsync("v1/tenants/t/keys/short"), HttpStatusCode.NotFound);
        Assert.Equal("d", await client.GetStringAsync("v1/tenants/t/keys/default"));

        clock.Advance(TimeSpan.FromSeconds(50));
        await Http.AssertProblemAsync(await client.GetAsync("v1/tenants/t/keys/default"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task WarmTtlAppliesToEveryWarmedEntry()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await ServiceHost.StartAsync([new("Cache:Backend", "Memory")], config => config.TimeProvider = clock);
        var client = host.CreateClient();
        await client.PostAsync("v1/tenants/t/warm", Http.Json("{\"entries\": {\"a\": 1, \"b\": 2}, \"ttl\": 5}"));

        Assert.Equal("1", await client.GetStringAsync("v1/tenants/t/keys/a"));
        clock.Advance(TimeSpan.FromSeconds(6));

        await Http.AssertProblemAsync(await client.GetAsync("v1/tenants/t/keys/a"), HttpStatusCode.NotFound);
        await Http.AssertProblemAsync(await client.GetAsync("v1/tenants/t/keys/b"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ValueTheMemoryBackendRefusesForItsByteBoundIs413AndStoresNothing()
    {
        await using var host = await StartAsync(("Cache:MaxMemoryBytes", "2000"));
        var client = host.CreateClient();

        var detail = await Http.AssertProblemAsync(await client.PutAsync("v1/tenants/t/keys/big", Http.Bytes(new byte[3000], "application/octet-stream")), HttpStatusCode.RequestEntityTooLarge);

        Assert.Contains("MaxMemoryBytes", detail, StringComparison.Ordinal);
        await Http.AssertProblemAsync(await client.GetAsync("v1/tenants/t/keys/big"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ByDefaultOneTenantHoldsAtMostAQuarterOfTheCacheAndOthersKeepTheirEntries()
    {
        await using var host = await StartAsync(("Cache:MaxSize", "400"));
        var client = host.CreateClient();
        for (var i = 0; i < 50; i++)
        {
            await Http.AssertStatusAsync(await client.PutAsync($"v1/tenants/quiet/keys/k{i}", Http.Bytes("v"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);
        }

        // The noisy tenant writes the whole cache's worth, twice over.
        for (var batch = 0; batch < 2; batch++)
        {
            var entries = string.Join(",", Enumerable.Range(0, 400).Select(i => $"\"n{batch}_{i}\": \"v\""));
            await Http.AssertStatusAsync(await client.PostAsync("v1/tenants/noisy/warm", new StringContent($"{{\"entries\": {{{entries}}}}}", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.OK);
        }

        var noisy = await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/noisy/stats"));
        var quiet = await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/quiet/stats"));
        Assert.Equal(100, noisy.GetProperty("size").GetInt64());
        Assert.Equal(50, quiet.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task MetricsReportAtMostTheConfiguredNumberOfTenants()
    {
        await using var host = await StartAsync(("Service:MaxMetricTenants", "2"));
        var client = host.CreateClient();
        foreach (var tenant in new[] { "first", "second", "third" })
        {
            await client.PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes("v"u8.ToArray(), "text/plain"));
        }

        var metrics = await client.GetStringAsync("metrics");

        // Only the service's own series: the library's meter, when it publishes one, has a tenant cap of its own.
        const string Scope = "otel_scope_name=\"Motadata.Cache.Server\",tenant=";
        Assert.Contains(Scope + "\"first\"", metrics, StringComparison.Ordinal);
        Assert.Contains(Scope + "\"second\"", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(Scope + "\"third\"", metrics, StringComparison.Ordinal);
        Assert.Equal("v", await client.GetStringAsync("v1/tenants/third/keys/k"));
    }

    [Fact]
    public async Task BenchEndpointExistsOnlyWhenEnabled()
    {
        await using (var host = await StartAsync())
        {
            await Http.AssertProblemAsync(await host.CreateClient().GetAsync("bench/hello"), HttpStatusCode.NotFound);
        }

        await using var enabled = await StartAsync(("Service:EnableBenchEndpoints", "true"));
        Assert.Equal("hello", await enabled.CreateClient().GetStringAsync("bench/hello"));
    }
}
