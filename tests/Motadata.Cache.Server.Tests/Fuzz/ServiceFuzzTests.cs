using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Fuzz;

/// <summary>
/// The route parser and the body readers fed with hostile input: no input is answered with a 5xx, and none touches
/// a tenant other than the one in the path. The HTTP runs use fixed seeds, so a failure names an input that fails again.
/// </summary>
public abstract class ServiceFuzzTests : IAsyncLifetime
{
    private const string AcmeKey = "acme-key-0123456789abcdef";
    private const string GlobexKey = "globex-key-0123456789abcdef";
    private const string RootKey = "root-key-0123456789abcdef";

    // A target is a walk: a few segments down, a few (encoded) dot segments up, then a route's tail, with noise
    // mixed in, so walks such as x/%2E%2E/%2E%2E/%2E%2E/keys (the admin clear-all) come up often.
    private static readonly Gen<string> s_down = Gen.Elements("x", "keys", "acme", "globex", "%2F", "a%2F..%2F..%2Fglobex", "%E2%9C%93", "~");
    private static readonly Gen<string> s_up = Gen.Elements("..", "%2E%2E", "%2e%2E", ".%2E", "%2E.", ".", "%2E", "");
    private static readonly Gen<string> s_tail = Gen.Elements(
        "keys", "stats", "keys/x", "warm", "invalidate", "globex/keys/x", "globex/keys", "globex/stats", "tenants/globex/keys", "tenants/globex/keys/x", "v1/keys", "");
    private static readonly Gen<string> s_noise = Gen.Elements(
        "%252F", "%25", "%", "%G1", "%00", "%0A", "\\", "%5C", "%ED%B0%80", "%FF", "*", "?ttl=5", "?", "#", ";", "@", ":", "%3F", "%23", "%7E");

    private static readonly Gen<string> s_target =
        from down in Gen.Choose(0, 2).SelectMany(n => Gen.ArrayOf(s_down, n))
        from up in Gen.Choose(0, 5).SelectMany(n => Gen.ArrayOf(s_up, n))
        from tail in s_tail
        from noise in Gen.Frequency((3, Gen.Constant(string.Empty)), (1, s_noise))
        from noiseAt in Gen.Choose(0, 8)
        select Join(down, up, tail, noise, noiseAt);

    private static readonly string[] s_seedBodies =
    [
        "{\"entries\": {\"k\": 1, \"a/b\": {\"n\": [1, 2]}}, \"ttl\": 60}",
        "{\"entries\": {\"x\": \"s\"}}",
        "{\"pattern\": \"k*\"}",
    ];

    private static readonly string[] s_insertions =
    [
        "\\udc00", "\\ud800", "\\u0000", "\"", "\\", "{", "}", "[", "]", ",", ":", "null", "1e999", "-", "\"ttl\": -1", "\"entries\":", "\u00ff", "..", "/",
    ];

    private ServiceHost? _host;

    private ServiceHost Host => _host!;

    /// <summary>The settings that choose and configure the backend under test.</summary>
    protected abstract IEnumerable<KeyValuePair<string, string?>> BackendSettings { get; }

    public virtual async Task InitializeAsync()
    {
        _host = await ServiceHost.StartAsync(
        [
            .. BackendSettings,
            new("Service:ApiKeys:0:Key", AcmeKey),
            new("Service:ApiKeys:0:Tenants:0", "acme"),
            new("Service:ApiKeys:1:Key", GlobexKey),
            new("Service:ApiKeys:1:Tenants:0", "globex"),
            new("Service:ApiKeys:2:Key", RootKey),
            new("Service:ApiKeys:2:Tenants:0", "*"),
            new("Service:ApiKeys:2:Admin", "true"),
        ]);
        await Http.AssertStatusAsync(await Host.CreateClient(GlobexKey).PutAsync("v1/tenants/globex/keys/x", Http.Bytes("globex's"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);
    }

    public virtual async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task NoRawTargetUnderOneTenantIsA5xxOrTouchesAnotherTenant()
    {
        var methods = new[] { "GET", "PUT", "DELETE", "POST" };
        var cases = Gen.Sample(
            from method in Gen.Elements(methods)
            from target in s_target
            select (Method: method, Target: target),
            500,
            new Rnd(20261201UL),
            10);
        Assert.Equal(500, cases.Length);
        var globex = Host.CreateClient(GlobexKey);
        foreach (var (method, target) in cases)
        {
            var body = method switch
            {
                "POST" => target.Contains("invalidate", StringComparison.Ordinal) ? "{\"pattern\": \"*\"}" : "{\"entries\": {\"k\": 1}}",
                "PUT" => "{}",
                _ => null,
            };
            var response = await RawHttp.SendAsync(Host.BaseAddress, method, target, RootKey, body);

            Assert.True(response.Status is >= 200 and < 500, $"{method} {target} answered {response.Status}: {response.Text}");
            Assert.True(await globex.GetStringAsync("v1/tenants/globex/keys/x") == "globex's", $"{method} {target} changed tenant globex.");
        }
    }

    [Fact]
    public async Task NoWarmOrInvalidateBodyIsA5xxOrTouchesAnotherTenant()
    {
        var bodies = Gen.Sample(MutatedBody(), 300, new Rnd(42UL), 10);
        Assert.Equal(300, bodies.Length);
        var acme = Host.CreateClient(AcmeKey);
        var globex = Host.CreateClient(GlobexKey);
        var index = 0;
        foreach (var body in bodies)
        {
            var route = index++ % 2 == 0 ? "warm" : "invalidate";
            var response = await acme.PostAsync($"v1/tenants/acme/{route}", Http.Bytes(body, "application/json"));

            var status = (int)response.StatusCode;
            Assert.True(status is 200 or 400 or 413, $"{route} of {Convert.ToHexString(body)} answered {status}: {await response.Content.ReadAsStringAsync()}");
            Assert.True(await globex.GetStringAsync("v1/tenants/globex/keys/x") == "globex's", $"{route} of {Convert.ToHexString(body)} changed tenant globex.");
        }
    }

    private static string Join(string[] down, string[] up, string tail, string noise, int noiseAt)
    {
        var segments = new List<string>(down);
        segments.AddRange(up);
        if (tail.Length > 0)
        {
            segments.AddRange(tail.Split('/'));
        }

        if (noise.Length > 0)
        {
            segments.Insert(noiseAt % (segments.Count + 1), noise);
        }

        return "/v1/tenants/acme/" + string.Join('/', segments);
    }

    /// <summary>A valid body with a few random insertions (escapes, bytes that are not UTF-8, JSON punctuation) and cuts.</summary>
    internal static Gen<byte[]> MutatedBody() =>
        from seed in Gen.Elements(s_seedBodies)
        from edits in Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(
            from position in Gen.Choose(0, 1000)
            from kind in Gen.Choose(0, 3)
            from insertion in Gen.Elements(s_insertions)
            from raw in Gen.Choose(0x80, 0xFF)
            select (Position: position, Kind: kind, Insertion: insertion, Raw: (byte)raw), n))
        select Apply(Encoding.UTF8.GetBytes(seed), edits);

    private static byte[] Apply(byte[] body, (int Position, int Kind, string Insertion, byte Raw)[] edits)
    {
        var bytes = new List<byte>(body);
        foreach (var (position, kind, insertion, raw) in edits)
        {
            var at = bytes.Count == 0 ? 0 : position % (bytes.Count + 1);
            switch (kind)
            {
                case 0:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(insertion));
                    break;
                case 1:
                    bytes.Insert(at, raw);
                    break;
                case 2 when at < bytes.Count:
                    bytes.RemoveRange(at, Math.Min(3, bytes.Count - at));
                    break;
                default:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes("\"" + insertion + "\""));
                    break;
            }
        }

        return [.. bytes];
    }
}
