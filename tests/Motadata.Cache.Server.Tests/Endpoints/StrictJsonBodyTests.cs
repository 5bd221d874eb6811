using System.Net;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Endpoints;

/// <summary>
/// Issue 21, N3: a JSON body with a property given twice, or a property the route does not know, is a 400 problem
/// naming it, and changes nothing: "the last wins" once turned <c>{"pattern":"zzz*","pattern":"*"}</c> into a removal
/// of everything and let <c>{"ttl":-5,"ttl":600}</c> through.
/// </summary>
public sealed class StrictJsonBodyTests : IAsyncLifetime
{
    private ServiceHost? _host;

    private ServiceHost Host => _host!;

    public async Task InitializeAsync()
    {
        _host = await ServiceHost.StartAsync([new("Cache:Backend", "Memory")]);
        await Http.AssertStatusAsync(await Host.CreateClient().PutAsync("v1/tenants/acme/keys/a", Http.Bytes("kept"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("invalidate", "{\"pattern\":\"zzz*\",\"pattern\":\"*\"}", "\"pattern\"")]
    [InlineData("invalidate", "{\"pattern\":\"zzz*\",\"p\\u0061ttern\":\"*\"}", "\"pattern\"")]
    [InlineData("invalidate", "{\"pattern\":\"*\",\"dry_run\":true}", "\"dry_run\"")]
    [InlineData("invalidate", "{\"Pattern\":\"*\"}", "\"Pattern\"")]
    [InlineData("warm", "{\"entries\":{\"b\":1},\"ttl\":-5,\"ttl\":600}", "\"ttl\"")]
    [InlineData("warm", "{\"entries\":{\"b\":1},\"entries\":{\"c\":1}}", "\"entries\"")]
    [InlineData("warm", "{\"entries\":{\"b\":1,\"b\":2}}", "'b'")]
    [InlineData("warm", "{\"entries\":{\"b\":1,\"\\u0062\":2}}", "'b'")]
    public async Task RepeatedOrUnknownPropertyIs400NamingItAndChangesNothing(string route, string body, string named)
    {
        var client = Host.CreateClient();

        var detail = await Http.AssertProblemAsync(await client.PostAsync($"v1/tenants/acme/{route}", Http.Json(body)), HttpStatusCode.BadRequest);

        Assert.Contains(named, detail, StringComparison.Ordinal);
        Assert.Equal("kept", await client.GetStringAsync("v1/tenants/acme/keys/a"));
        var stats = await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/acme/stats"));
        Assert.Equal(1, stats.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task InvalidateWithOnePatternStillRemovesWhatMatches()
    {
        var client = Host.CreateClient();
        await Http.AssertStatusAsync(await client.PutAsync("v1/tenants/acme/keys/user_1", Http.Bytes("v"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);

        var invalidated = await Http.ReadJsonAsync(await client.PostAsync("v1/tenants/acme/invalidate", Http.Json("{\"pattern\": \"user_*\"}")));

        Assert.Equal(1, invalidated.GetProperty("invalidated").GetInt64());
        Assert.Equal("kept", await client.GetStringAsync("v1/tenants/acme/keys/a"));
    }
}
