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
}
