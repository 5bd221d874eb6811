using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Xml.Linq;
using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Server.Tests.Infrastructure;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Clients;

/// <summary>
/// Clients generated from the LIVE document (issue 25): a service is started (memory, or Dragonfly against a real
/// redis-server), its <c>/openapi/v1.json</c> is fed to Kiota (C#, dotnet tool from <c>.config/dotnet-tools.json</c>)
/// and to openapi-typescript + openapi-fetch (<c>tests/clients/ts</c>, <c>npm ci</c>), and a small program per client
/// (<c>tests/clients/kiota/Program.cs</c>, <c>tests/clients/ts/check.ts</c>) drives it through the checklist: PUT with
/// ttl, JSON and text round-trips, 404, odd keys and tenants, invalidate, warm, stats, delete, clear, 401/403. What
/// the program wrote is then checked on the server: the TTL (on redis-server, or by moving the memory store's clock)
/// and each odd key read back with raw HTTP. The document also passes <c>@redocly/cli lint</c> (recommended rules).
/// </summary>
public sealed class GeneratedClientTests
{
    private const string AdminKey = "gen-admin-key-0123456789abcdef";
    private const string TenantKey = "gen-tenant-key-0123456789abcdef";
    private const string KeyPrefix = "gen:";

    private static readonly string[] OddKeys = ["a/b", "c#d", "50%", "50%25", "\u043a\u043b\u044e\u0447 \u2713", "q?x=1&y"];
    private static readonly string TsFolder = Path.Combine(Repository.Root, "tests", "clients", "ts");
    private static readonly string KiotaFolder = Path.Combine(Repository.Root, "tests", "clients", "kiota");
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(4);
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static bool s_toolsRestored;
    private static bool s_npmInstalled;

    [Theory]
    [InlineData("Memory")]
    [InlineData("Dragonfly")]
    public async Task KiotaClientPassesTheChecklist(string backend)
    {
        await using var service = await CacheUnderTest.StartAsync(backend);
        var folder = NewFolder(Path.GetTempPath(), "motadata-kiota-");
        try
        {
            await RestoreDotnetToolsAsync();
            var document = await service.SaveDocumentAsync(folder);
            await RunAsync("dotnet", Repository.Root, NoEnvironment(),
                "tool", "run", "kiota", "generate", "-l", "CSharp", "-d", document, "-o", Path.Combine(folder, "Client"),
                "-n", "Generated.Client", "-c", "CacheClient", "--exclude-backward-compatible", "--clean-output", "--log-level", "Warning");
            File.Copy(Path.Combine(KiotaFolder, "Program.cs"), Path.Combine(folder, "Program.cs"));
            await File.WriteAllTextAsync(Path.Combine(folder, "KiotaCheck.csproj"), KiotaProject());

            // Nothing above the temporary folder (another project's Directory.*.props in /tmp) may reach this build.
            foreach (var stop in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            {
                await File.WriteAllTextAsync(Path.Combine(folder, stop), "<Project />");
            }

            var output = await RunAsync("dotnet", folder, service.ClientEnvironment(), "run", "--nologo", "-v", "q");

            Assert.Matches(@"PASSED \d+ checks", output);
            await service.VerifyWhatTheClientWroteAsync();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("Memory")]
    [InlineData("Dragonfly")]
    public async Task TypeScriptClientPassesTheChecklistAndStrictTypeCheck(string backend)
    {
        await using var service = await CacheUnderTest.StartAsync(backend);
        await InstallNpmPackagesAsync();
        var folder = NewFolder(TsFolder, ".run-");
        try
        {
            var document = await service.SaveDocumentAsync(folder);
            await RunAsync(Bin("openapi-typescript"), folder, NoEnvironment(), document, "-o", Path.Combine(folder, "schema.d.ts"));
            File.Copy(Path.Combine(TsFolder, "check.ts"), Path.Combine(folder, "check.ts"));
            File.Copy(Path.Combine(TsFolder, "tsconfig.json"), Path.Combine(folder, "tsconfig.json"));

            // Every call of check.ts type-checks against the generated paths, strictly: a value typed wrong, a ttl
            // the document does not declare or a response field it lacks fails here.
            await RunAsync(Bin("tsc"), folder, NoEnvironment(), "--noEmit", "--strict", "-p", "tsconfig.json");
            var output = await RunAsync(Bin("tsx"), folder, service.ClientEnvironment(), "check.ts");

            Assert.Matches(@"PASSED \d+ checks", output);
            await service.VerifyWhatTheClientWroteAsync();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task DocumentPassesRedoclyLintWithTheRecommendedRules(bool apiKeys)
    {
        await using var host = await ServiceHost.StartAsync(apiKeys ? CacheUnderTest.KeySettings : []);
        await InstallNpmPackagesAsync();
        var folder = NewFolder(TsFolder, ".run-");
        try
        {
            var document = Path.Combine(folder, "openapi.json");
            await File.WriteAllBytesAsync(document, await host.CreateClient().GetByteArrayAsync("openapi/v1.json"));

            var output = await RunAsync(Bin("redocly"), folder, new Dictionary<string, string> { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true" },
                "lint", "openapi.json", "--extends=recommended", "--format=stylish");

            // Exit code 0 (RunAsync) means no error; the recommended rules' warnings are held to the same bar.
            Assert.Contains("Your API description is valid", output, StringComparison.Ordinal);
            // (A stylish problem line is "  LINE:COLUMN  warning  rule  message"; Node's own notices are not problems.)
            Assert.DoesNotMatch(@"(?m)^\s*\d+:\d+\s+(warning|error)\s", output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Bin(string name) => Path.Combine(TsFolder, "node_modules", ".bin", name);

    private static Dictionary<string, string> NoEnvironment() => [];

    private static string NewFolder(string parent, string prefix)
    {
        var folder = Path.Combine(parent, prefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>The console project the Kiota client compiles in, with the Kiota runtime pinned in Directory.Packages.props.</summary>
    private static string KiotaProject()
    {
        var pinned = XDocument.Load(Path.Combine(Repository.Root, "Directory.Packages.props")).Descendants("PackageVersion")
            .Where(static p => ((string?)p.Attribute("Include"))?.StartsWith("Microsoft.Kiota.", StringComparison.Ordinal) == true)
            .Select(static p => $"    <PackageReference Include=\"{(string)p.Attribute("Include")!}\" Version=\"{(string)p.Attribute("Version")!}\" />")
            .ToList();
        Assert.Equal(6, pinned.Count);
        return File.ReadAllText(Path.Combine(KiotaFolder, "KiotaCheck.csproj.template"))
            .Replace("@PACKAGES@", string.Join(Environment.NewLine, pinned), StringComparison.Ordinal);
    }

    private static async Task RestoreDotnetToolsAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            if (!s_toolsRestored)
            {
                await RunAsync("dotnet", Repository.Root, NoEnvironment(), "tool", "restore");
                s_toolsRestored = true;
            }
        }
        finally
        {
            InstallLock.Release();
        }
    }

    /// <summary><c>npm ci</c> in tests/clients/ts when its packages are not installed (scripts/test does it too).</summary>
    private static async Task InstallNpmPackagesAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            if (!s_npmInstalled)
            {
                if (!new[] { "openapi-typescript", "tsc", "tsx", "redocly" }.All(static name => File.Exists(Bin(name))))
                {
                    await RunAsync("npm", TsFolder, NoEnvironment(), "ci", "--no-audit", "--no-fund");
                }

                s_npmInstalled = true;
            }
        }
        finally
        {
            InstallLock.Release();
        }
    }

    /// <summary>Runs a program to its end and returns its output; fails the test with that output when it fails.</summary>
    private static async Task<string> RunAsync(string fileName, string directory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The test host runs under `dotnet test`: none of its MSBuild settings may reach a nested build.
        foreach (var name in info.Environment.Keys.Where(static k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["KIOTA_OFFLINE_ENABLED"] = "true";
        info.Environment["KIOTA_TUTORIAL_ENABLED"] = "false";
        info.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var deadline = new CancellationTokenSource(StepTimeout))
        {
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not end within {StepTimeout}.");
            }
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', args)} exited with {process.ExitCode}:{Environment.NewLine}{output}");
        return output;
    }

    /// <summary>A service with a tenant key (tenant "acme") and an admin key, on one backend, and what checks it.</summary>
    private sealed class CacheUnderTest : IAsyncDisposable
    {
        private readonly ServiceHost _host;
        private readonly RedisServer? _redis;
        private readonly FakeTimeProvider? _clock;
        private readonly string _tenant = "gen-" + Guid.NewGuid().ToString("N")[..8];

        private CacheUnderTest(ServiceHost host, RedisServer? redis, FakeTimeProvider? clock)
        {
            _host = host;
            _redis = redis;
            _clock = clock;
        }

        public static KeyValuePair<string, string?>[] KeySettings { get; } =
        [
            new("Service:ApiKeys:0:Key", TenantKey),
            new("Service:ApiKeys:0:Tenants:0", "acme"),
            new("Service:ApiKeys:1:Key", AdminKey),
            new("Service:ApiKeys:1:Admin", "true"),
            new("Service:ApiKeys:1:Tenants:0", "*"),
        ];

        public static async Task<CacheUnderTest> StartAsync(string backend)
        {
            var settings = new List<KeyValuePair<string, string?>>(KeySettings)
            {
                new("Cache:Backend", backend),
                new("Cache:Ttl", "02:00:00"),
                new("Cache:KeyPrefix", KeyPrefix),
            };
            if (backend == "Memory")
            {
                // The TTL is checked by moving the store's clock, never by waiting.
                var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
                return new CacheUnderTest(await ServiceHost.StartAsync(settings, config => config.TimeProvider = clock), null, clock);
            }

            var redis = await RedisServer.StartAsync();
            settings.Add(new("Cache:DragonflyUrl", redis.Url));
            settings.Add(new("Cache:OperationTimeout", "00:00:05"));
            return new CacheUnderTest(await ServiceHost.StartAsync(settings), redis, null);
        }

        public Dictionary<string, string> ClientEnvironment() => new()
        {
            ["CACHE_URL"] = _host.BaseAddress.ToString().TrimEnd('/'),
            ["ADMIN_KEY"] = AdminKey,
            ["TENANT_KEY"] = TenantKey,
            ["TENANT"] = _tenant,
        };

        /// <summary>The live document, as the generators read it.</summary>
        public async Task<string> SaveDocumentAsync(string folder)
        {
            var path = Path.Combine(folder, "openapi.json");
            await File.WriteAllBytesAsync(path, await _host.CreateClient().GetByteArrayAsync("openapi/v1.json"));
            return path;
        }

        /// <summary>The odd keys and the odd tenant reached their own entries; the TTLs were the ones asked for.</summary>
        public async Task VerifyWhatTheClientWroteAsync()
        {
            var client = _host.CreateClient(AdminKey);
            foreach (var key in OddKeys)
            {
                Assert.Equal(key, await client.GetStringAsync(KeyUri(_tenant, key)));
            }

            Assert.Equal("odd tenant", await client.GetStringAsync(KeyUri(_tenant + "/\u00e9#%", "k")));
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(KeyUri(_tenant, "a"))).StatusCode);

            if (_redis is not null)
            {
                Assert.InRange(await ServerTtlAsync("gen-ttl-probe"), 1, 100);
                Assert.InRange(await ServerTtlAsync("gen-default-ttl"), 101, 7200);
            }
            else
            {
                _clock!.Advance(TimeSpan.FromSeconds(101));
                Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(KeyUri(_tenant, "gen-ttl-probe"))).StatusCode);
                Assert.Equal("h\u00e9llo w\u00f6rld", await client.GetStringAsync(KeyUri(_tenant, "gen-default-ttl")));
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _host.DisposeAsync();
            if (_redis is not null)
            {
                await _redis.DisposeAsync();
            }
        }

        private static string KeyUri(string tenant, string key) => $"v1/tenants/{Uri.EscapeDataString(tenant)}/keys/{Uri.EscapeDataString(key)}";

        private async Task<int> ServerTtlAsync(string key)
        {
            // The server key ends with the caller's key after the tenant's namespace (DragonflyKeys).
            var keys = (await _redis!.CommandAsync("KEYS", KeyPrefix + "*" + _tenant + "*:" + key))
                .Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Where(static line => !line.StartsWith('*') && !line.StartsWith('$')).ToList();
            var serverKey = Assert.Single(keys);
            var ttl = await _redis.CommandAsync("TTL", serverKey);
            return int.Parse(ttl.TrimStart(':').Trim(), CultureInfo.InvariantCulture);
        }
    }
}
