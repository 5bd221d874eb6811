using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Motadata.Cache.Server.Hosting;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Endpoints;

/// <summary>
/// Issue 21, N4: on the memory backend the service bounds each tenant's bytes by default, not only its entries (one
/// tenant key once held 2 GB of 1 MiB values): <c>Cache:MaxMemoryBytes</c> defaults to a share of the machine's
/// memory, and each tenant to a quarter of it.
/// </summary>
public sealed class TenantByteQuotaTests
{
    private const int ValueBytes = 256 * 1024;

    [Fact]
    public async Task ByDefaultTheCacheAndEachTenantHaveAByteBoundSizedFromTheMachine()
    {
        await using var host = await ServiceHost.StartAsync([new("Cache:Backend", "Memory")]);
        var config = host.Services.GetRequiredService<IOptions<CacheConfig>>().Value;

        Assert.Equal(CacheServer.DefaultMaxMemoryBytes(), config.MaxMemoryBytes);
        Assert.Equal(config.MaxMemoryBytes / 4, config.MaxMemoryBytesPerTenant);
    }

    [Fact]
    public async Task OneTenantPuttingManyLargeValuesStaysWithinItsByteQuotaAndOtherTenantsStillStore()
    {
        // 8 MiB for the cache, so the default tenant quota is 2 MiB: 40 values of 256 KiB are 10 MiB.
        const long cacheBytes = 8L * 1024 * 1024;
        const long tenantBytes = cacheBytes / 4;
        await using var host = await ServiceHost.StartAsync([new("Cache:Backend", "Memory"), new("Cache:MaxMemoryBytes", cacheBytes.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        var client = host.CreateClient();
        var value = new byte[ValueBytes];

        for (var i = 0; i < 40; i++)
        {
            await Http.AssertStatusAsync(await client.PutAsync($"v1/tenants/acme/keys/big-{i}", Http.Bytes(value, "application/octet-stream")), HttpStatusCode.NoContent);
            var acme = await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/acme/stats"));
            Assert.InRange(acme.GetProperty("memory_usage").GetInt64(), 1, tenantBytes);
        }

        // acme evicted its own entries to stay in its quota; the newest is there.
        Assert.Equal(ValueBytes, (await client.GetByteArrayAsync("v1/tenants/acme/keys/big-39")).Length);

        for (var i = 0; i < 4; i++)
        {
            await Http.AssertStatusAsync(await client.PutAsync($"v1/tenants/globex/keys/g-{i}", Http.Bytes(value, "application/octet-stream")), HttpStatusCode.NoContent);
        }

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(ValueBytes, (await client.GetByteArrayAsync($"v1/tenants/globex/keys/g-{i}")).Length);
        }

        var globex = await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/globex/stats"));
        Assert.Equal(4, globex.GetProperty("size").GetInt64());
    }
}
