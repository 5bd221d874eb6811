using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Motadata.Cache.Server.Configuration;
using Motadata.Cache.Server.Hosting;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Hosting;

/// <summary>
/// Start-up: the built service run as a child process (exit code and message on bad settings, where it listens on
/// good ones), and the same checks in process for every kind of bad setting.
/// </summary>
public sealed partial class StartupTests
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ProcessWithAnUnknownBackendExitsNonZeroNamingTheSetting()
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string> { ["Cache__Backend"] = "Nope" }, "--urls=http://127.0.0.1:0");

        var exitCode = await server.WaitForExitAsync(ProcessTimeout);

        Assert.Equal(CacheServer.ConfigurationErrorExitCode, exitCode);
        Assert.Contains("cannot start", server.Output, StringComparison.Ordinal);
        Assert.Contains("Cache:Backend", server.Output, StringComparison.Ordinal);
        Assert.Contains("Nope", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessWithInvalidCacheSettingsExitsNonZeroListingEveryOne()
    {
        await using var server = ServerProcess.Start(
            new Dictionary<string, string> { ["Cache__Ttl"] = "-00:00:05", ["Cache__MaxSize"] = "0", ["Cache__Backend"] = "Dragonfly" },
            "--urls=http://127.0.0.1:0");

        var exitCode = await server.WaitForExitAsync(ProcessTimeout);

        Assert.Equal(CacheServer.ConfigurationErrorExitCode, exitCode);
        Assert.Contains("Ttl is -00:00:05", server.Output, StringComparison.Ordinal);
        Assert.Contains("MaxSize is 0", server.Output, StringComparison.Ordinal);
        Assert.Contains("DragonflyUrl is missing", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessWithoutApiKeysRefusesANonLoopbackAddress()
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string>(), "--urls=http://0.0.0.0:0");

        var exitCode = await server.WaitForExitAsync(ProcessTimeout);

        Assert.Equal(CacheServer.ConfigurationErrorExitCode, exitCode);
        Assert.Contains("http://0.0.0.0:0", server.Output, StringComparison.Ordinal);
        Assert.Contains("no API keys are configured", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAskedToListenOnAnIpv4MappedAddressExitsCleanlyNamingTheAddressToUse()
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string>(), "--urls=http://[::ffff:127.0.0.1]:0");

        var exitCode = await server.WaitForExitAsync(ProcessTimeout);

        Assert.Equal(CacheServer.ConfigurationErrorExitCode, exitCode);
        Assert.Contains("cannot start", server.Output, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:0", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("SocketException", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessOnTheMemoryBackendPrintsWhereItListensAndServes()
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string>(), "--urls=http://127.0.0.1:0");

        var output = await server.WaitForOutputAsync("Motadata.Cache service listening on", ProcessTimeout);

        Assert.Contains("loopback only", output, StringComparison.Ordinal);
        var address = ListeningAddress().Match(output).Groups[1].Value;
        using var client = new HttpClient { BaseAddress = new Uri(address + "/") };
        await Http.AssertStatusAsync(await client.PutAsync("v1/tenants/t/keys/k", Http.Bytes("v"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);
        Assert.Equal("v", await client.GetStringAsync("v1/tenants/t/keys/k"));
    }

    [Theory]
    [InlineData("Cache:Backend", "Nope", "Cache:Backend")]
    [InlineData("Cache:Ttl", "an hour", "Cache:Ttl")]
    [InlineData("Cache:Backnd", "Memory", "Backnd")]
    [InlineData("Cache:MaxSize", "-1", "MaxSize is -1")]
    [InlineData("Cache:DragonflyUrl", "http://nope", "DragonflyUrl")]
    [InlineData("Cache:MaxSizePerTenant", "0", "MaxSizePerTenant is 0")]
    [InlineData("Cache:TenantQuotas:t1:MaxSize", "20000", "TenantQuotas[\"t1\"].MaxSize is 20000 but MaxSize is 10000")]
    [InlineData("Cache:Memory:MaxSizePerTenant", "0", "Memory.MaxSizePerTenant is 0")]
    [InlineData("Cache:Memory:TenantQuotas:t1:MaxSize", "20000", "Memory.TenantQuotas[\"t1\"].MaxSize is 20000 but MaxSize is 10000")]
    [InlineData("Cache:LocalLevel:MaxSise", "5", "MaxSise")]
    [InlineData("Cache:LocalLevel:MaxSize", "5", "LocalLevel is set with the memory backend")]
    [InlineData("Cache:Integrity:SigningKey", "AAAA", "Integrity.SigningKey is 3 bytes long")]
    [InlineData("Service:RateLimit:PermitsPerSecond", "-1", "PermitsPerSecond is -1")]
    [InlineData("Service:MaxRequestBytes", "0", "MaxRequestBytes is 0")]
    [InlineData("Service:ApiKeys:0:Key", "short", "at least 16")]
    [InlineData("Service:ApiKeys:0:KeySha256", "abc", "64 hexadecimal")]
    [InlineData("Service:Unknown", "1", "Unknown")]
    [InlineData("Service:MaxWarmEntries", "0", "MaxWarmEntries is 0")]
    [InlineData("Service:Metrics:RequireApiKey", "true", "no key of Service:ApiKeys may read metrics")]
    public void BadSettingFailsTheBuildWithAMessageNamingIt(string key, string value, string expected)
    {
        var settings = new List<string> { "--urls=http://127.0.0.1:0", $"--{key}={value}" };
        if (key is "Cache:DragonflyUrl")
        {
            settings.Add("--Cache:Backend=Dragonfly");
        }

        if (key.StartsWith("Service:ApiKeys", StringComparison.Ordinal))
        {
            settings.Add("--Service:ApiKeys:0:Tenants:0=t");
        }

        var exception = Assert.Throws<ServiceConfigurationException>(() => CacheServer.Build([.. settings]));

        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadCacheAndServiceSettingsAreReportedTogether()
    {
        var exception = Assert.Throws<ServiceConfigurationException>(() => CacheServer.Build(
            ["--urls=http://127.0.0.1:0", "--Cache:MaxSize=0", "--Service:MaxRequestBytes=0", "--Service:RateLimit:Burst=-2"]));

        Assert.Contains("MaxSize is 0", exception.Message, StringComparison.Ordinal);
        Assert.Contains("MaxRequestBytes is 0", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Burst is -2", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKeyGivenBothInClearAndAsAHashIsRefused()
    {
        var exception = Assert.Throws<ServiceConfigurationException>(() => CacheServer.Build(
        [
            "--Service:ApiKeys:0:Key=0123456789abcdef0123",
            $"--Service:ApiKeys:0:KeySha256={new string('a', 64)}",
            "--Service:ApiKeys:0:Tenants:0=t",
        ]));

        Assert.Contains("both Key and KeySha256", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKeyThatGrantsNothingIsRefused()
    {
        var exception = Assert.Throws<ServiceConfigurationException>(() => CacheServer.Build(["--Service:ApiKeys:0:Key=0123456789abcdef0123"]));

        Assert.Contains("grants nothing", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--urls=http://0.0.0.0:8080")]
    [InlineData("--urls=http://*:8080")]
    [InlineData("--urls=http://127.0.0.1:8080;http://[::]:8080")]
    [InlineData("--http_ports=8080")]
    [InlineData("--Kestrel:Endpoints:Public:Url=http://10.1.2.3:8080")]
    public void WithoutApiKeysANonLoopbackAddressIsRefused(string address)
    {
        var exception = Assert.Throws<ServiceConfigurationException>(() => CacheServer.Build([address]));

        Assert.Contains("no API keys are configured", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--urls=http://127.0.0.1:0")]
    [InlineData("--urls=http://localhost:0")]
    [InlineData("--urls=http://[::1]:0")]
    public async Task WithoutApiKeysLoopbackAddressesAreAccepted(string address)
    {
        await using var app = CacheServer.Build([address]);

        Assert.NotNull(app);
    }

    [Fact]
    public async Task WithApiKeysANonLoopbackAddressIsAccepted()
    {
        await using var app = CacheServer.Build(["--urls=http://0.0.0.0:0", "--Service:ApiKeys:0:Key=0123456789abcdef0123", "--Service:ApiKeys:0:Tenants:0=*"]);

        Assert.NotNull(app);
    }

    [Fact]
    public async Task TimeSpanSettingsBindFromHoursMinutesSeconds()
    {
        await using var app = CacheServer.Build(["--urls=http://127.0.0.1:0", "--Cache:Ttl=01:30:00", "--Cache:OperationTimeout=00:00:00.250"]);

        var config = app.Services.GetRequiredService<CacheMechanism>().Config;
        Assert.Equal(TimeSpan.FromMinutes(90), config.Ttl);
        Assert.Equal(TimeSpan.FromMilliseconds(250), config.OperationTimeout);
    }

    [Fact]
    public async Task TenantQuotasAndPerTenantOverridesBindFromTheCacheSection()
    {
        await using var app = CacheServer.Build(
        [
            "--urls=http://127.0.0.1:0",
            "--Cache:MaxSizePerTenant=50",
            "--Cache:MaxMemoryBytesPerTenant=100000",
            "--Cache:TenantQuotas:big-customer:MaxSize=500",
            "--Cache:TenantQuotas:tiny:MaxMemoryBytes=2000",
        ]);

        var cache = app.Services.GetRequiredService<CacheMechanism>();
        var config = cache.Config;
        Assert.Equal(50, config.MaxSizePerTenant);
        Assert.Equal(100_000, config.MaxMemoryBytesPerTenant);
        Assert.Equal(500, config.TenantQuotas["big-customer"].MaxSize);
        Assert.Null(config.TenantQuotas["big-customer"].MaxMemoryBytes);
        Assert.Equal(2_000, config.TenantQuotas["tiny"].MaxMemoryBytes);

        for (var i = 0; i < 600; i++)
        {
            cache.Set($"k{i}", i, tenantId: "big-customer");
            cache.Set($"k{i}", i, tenantId: "someone");
        }

        Assert.Equal(500, cache.GetStats("big-customer").Size);
        Assert.Equal(50, cache.GetStats("someone").Size);
        Assert.Equal(2_000, cache.GetStats("tiny").MaxMemoryBytes);
    }

    [Fact]
    public async Task TheCacheSectionsOfTheV2SettingsBindAndReachTheCache()
    {
        await using var app = CacheServer.Build(
        [
            "--urls=http://127.0.0.1:0",
            "--Cache:Memory:MaxSizePerTenant=40",
            "--Cache:Memory:TenantQuotas:big-customer:MaxSize=400",
            "--Cache:Memory:ExpirationScanInterval=00:00:10",
            "--Cache:Dragonfly:KeyPrefix=svc:",
            "--Cache:Recovery:JournalCapacity=123",
            "--Cache:EnableSharding=true",
        ]);

        var cache = app.Services.GetRequiredService<CacheMechanism>();
        var config = cache.Config;
        Assert.Equal(40, config.Memory?.MaxSizePerTenant);
        Assert.Equal(400, config.Memory?.TenantQuotas["big-customer"].MaxSize);
        Assert.Equal(TimeSpan.FromSeconds(10), config.Memory?.ExpirationScanInterval);
        Assert.Equal("svc:", config.Dragonfly?.KeyPrefix);
        Assert.Equal(123, config.Recovery?.JournalCapacity);
        Assert.True(config.EnableSharding);

        // The service's own defaults land in the same group: a byte bound and a per-tenant byte quota.
        Assert.NotNull(config.Memory?.MaxMemoryBytes);
        Assert.Equal(config.Memory.MaxMemoryBytes / 4, config.Memory.MaxMemoryBytesPerTenant);

        for (var i = 0; i < 500; i++)
        {
            cache.Set($"k{i}", i, tenantId: "big-customer");
            cache.Set($"k{i}", i, tenantId: "someone");
        }

        Assert.Equal(400, cache.GetStats("big-customer").Size);
        Assert.Equal(40, cache.GetStats("someone").Size);
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningAddress();
}
