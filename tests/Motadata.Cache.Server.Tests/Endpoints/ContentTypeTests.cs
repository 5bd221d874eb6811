using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Motadata.Cache.Server.Endpoints;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Endpoints;

/// <summary>
/// Issue 21, N1: a <c>Content-Type</c> that no response header can carry is refused on PUT, and a stored one of that
/// kind (written before the check, or by the library directly) never turns a GET into a 500.
/// </summary>
public sealed class ContentTypeTests : IAsyncLifetime
{
    private ServiceHost? _host;

    private ServiceHost Host => _host!;

    public async Task InitializeAsync() => _host = await ServiceHost.StartAsync([new("Cache:Backend", "Memory")]);

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    public static TheoryData<byte[]> UnservableContentTypes => new()
    {
        // "text/é" in UTF-8, as `curl -H $'Content-Type: text/\xc3\xa9'` sends it.
        { [.. "text/"u8, 0xC3, 0xA9] },
        { [.. "text/"u8, 0x01, .. "plain"u8] },
        { [.. "text/plain; x="u8, 0x7F] },
    };

    [Theory]
    [MemberData(nameof(UnservableContentTypes))]
    public async Task PutWithAContentTypeNoHeaderCanCarryIs400AndStoresNothing(byte[] contentType)
    {
        var request = (byte[])[
            .. Encoding.ASCII.GetBytes($"PUT /v1/tenants/acme/keys/k HTTP/1.1\r\nHost: {Host.BaseAddress.Authority}\r\nConnection: close\r\nContent-Length: 1\r\nContent-Type: "),
            .. contentType,
            .. "\r\n\r\nv"u8];

        var response = await RawHttp.SendBytesAsync(Host.BaseAddress, request);

        var detail = response.AssertProblem(400);
        Assert.Contains("printable ASCII", detail, StringComparison.Ordinal);
        await Http.AssertProblemAsync(await Host.CreateClient().GetAsync("v1/tenants/acme/keys/k"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PutWithAnOrdinaryContentTypeKeepsItWithItsParameters()
    {
        var client = Host.CreateClient();
        await Http.AssertStatusAsync(await client.PutAsync("v1/tenants/acme/keys/typed", Http.Bytes("v"u8.ToArray(), "text/plain; charset=utf-8")), HttpStatusCode.NoContent);

        var get = await client.GetAsync("v1/tenants/acme/keys/typed");

        await Http.AssertStatusAsync(get, HttpStatusCode.OK);
        Assert.Equal("text/plain; charset=utf-8", get.Content.Headers.ContentType?.ToString());
    }

    [Theory]
    [InlineData("*/*")]
    [InlineData("*/*; q=0.8")]
    [InlineData("text/*")]
    public async Task PutWithAWildcardContentTypeIsServedAsOctetStream(string contentType)
    {
        var client = Host.CreateClient();
        using var put = new HttpRequestMessage(HttpMethod.Put, "v1/tenants/acme/keys/wild") { Content = new ByteArrayContent("{\"v\":1}"u8.ToArray()) };
        Assert.True(put.Content.Headers.TryAddWithoutValidation("Content-Type", contentType));
        await Http.AssertStatusAsync(await client.SendAsync(put), HttpStatusCode.NoContent);

        var get = await client.GetAsync("v1/tenants/acme/keys/wild");

        await Http.AssertStatusAsync(get, HttpStatusCode.OK);
        Assert.Equal(StoredValue.DefaultContentType, get.Content.Headers.ContentType?.ToString());
        Assert.Equal("{\"v\":1}", await get.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(UnservableContentTypes))]
    public async Task GetOfAValueStoredWithAnUnservableContentTypeServesItsBytesAsOctetStream(byte[] contentType)
    {
        // The layout StoredValue reads: format 1, the content type's length (big-endian), the content type, the body.
        byte[] stored = [1, 0, (byte)contentType.Length, .. contentType, .. "body"u8];
        var cache = Host.Services.GetRequiredService<CacheMechanism>();
        await cache.SetAsync("legacy", stored, tenantId: "acme");

        var get = await Host.CreateClient().GetAsync("v1/tenants/acme/keys/legacy");

        await Http.AssertStatusAsync(get, HttpStatusCode.OK);
        Assert.Equal(StoredValue.DefaultContentType, get.Content.Headers.ContentType?.MediaType);
        Assert.Equal("body", await get.Content.ReadAsStringAsync());
    }
}
