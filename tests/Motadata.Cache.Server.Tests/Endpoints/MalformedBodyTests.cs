using System.Net;
using System.Text;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Endpoints;

/// <summary>Bodies that are not valid JSON text (lone surrogate escapes, bytes that are not UTF-8) are 400 problems that store and remove nothing.</summary>
public sealed class MalformedBodyTests : IAsyncLifetime
{
    private ServiceHost? _host;

    private ServiceHost Host => _host!;

    public static TheoryData<string, byte[]> MalformedBodies => new()
    {
        { "warm", Encoding.UTF8.GetBytes("{\"entries\":{\"\\udc00\":1}}") },
        { "warm", Encoding.UTF8.GetBytes("{\"entries\":{\"a\\ud800\":1}}") },
        { "warm", [.. "{\"entries\":{\"a"u8, 0xFF, .. "\":1}}"u8] },
        { "warm", [.. "{\"entries\":{\"a\":\""u8, 0xFF, .. "\"}}"u8] },
        { "warm", [.. "{\""u8, 0xC3, .. "\":1}"u8] },
        { "warm", Encoding.UTF8.GetBytes("{\"\\udc00\":1}") },
        { "invalidate", Encoding.UTF8.GetBytes("{\"pattern\":\"\\udc00\"}") },
        { "invalidate", [.. "{\"pattern\":\"a"u8, 0xFF, .. "\"}"u8] },
        { "invalidate", [.. "{\"pat"u8, 0xFE, .. "tern\":\"a\"}"u8] },
    };

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
    [MemberData(nameof(MalformedBodies))]
    public async Task BodyThatIsNotValidJsonTextIs400AndChangesNothing(string route, byte[] body)
    {
        var client = Host.CreateClient();

        var response = await client.PostAsync($"v1/tenants/acme/{route}", Http.Bytes(body, "application/json"));

        await Http.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("kept", await client.GetStringAsync("v1/tenants/acme/keys/a"));
        var stats = await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/acme/stats"));
        Assert.Equal(1, stats.GetProperty("size").GetInt64());
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public async Task WarmRefusesAKeyNoPathCanName(string key)
    {
        var client = Host.CreateClient();

        var detail = await Http.AssertProblemAsync(await client.PostAsync("v1/tenants/acme/warm", Http.Json($"{{\"entries\":{{\"b\":1,\"{key}\":2}}}}")), HttpStatusCode.BadRequest);

        Assert.Contains($"'{key}'", detail, StringComparison.Ordinal);
        var stats = await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/acme/stats"));
        Assert.Equal(1, stats.GetProperty("size").GetInt64());
    }
}
