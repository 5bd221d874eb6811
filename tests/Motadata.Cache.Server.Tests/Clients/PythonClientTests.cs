using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Clients;

/// <summary>
/// Runs the Python client's own tests (<c>clients/python/tests</c>, <c>python3 -m unittest</c>) against the service
/// built with these tests, one test module per case, so the README's test command and CI run them and count them.
/// The Python tests start the service (<c>MOTADATA_CACHE_SERVER_DLL</c>) and redis-server themselves.
/// </summary>
public sealed partial class PythonClientTests
{
    private static readonly string ClientFolder = Path.Combine(Repository.Root, "clients", "python");

    [Theory]
    [InlineData("test_config")]
    [InlineData("test_memory")]
    [InlineData("test_dragonfly")]
    [InlineData("test_auth")]
    [InlineData("test_fail_open")]
    public async Task PythonClientTestModulePasses(string module)
    {
        var info = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = ClientFolder,
        };
        foreach (var argument in new[] { "-m", "unittest", "-v", "tests." + module })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["MOTADATA_CACHE_SERVER_DLL"] = ServerProcess.ServerDll;
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start.");
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
        {
            await process.WaitForExitAsync(deadline.Token);
        }

        output.Append(await stdout).Append(await stderr);
        var text = output.ToString();
        var ran = RanPattern().Match(text);
        Assert.True(process.ExitCode == 0 && ran.Success && int.Parse(ran.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0,
            $"python3 -m unittest tests.{module} exited with {process.ExitCode}:{Environment.NewLine}{text}");
        Assert.Matches(@"(?m)^OK", text);
    }

    [Fact]
    public void EveryPythonTestModuleIsRunByATestCase()
    {
        var cases = typeof(PythonClientTests).GetMethod(nameof(PythonClientTestModulePasses))!
            .GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>()
            .Select(data => (string)data.GetData(null!).Single()[0]).Order(StringComparer.Ordinal).ToList();
        var modules = Directory.GetFiles(Path.Combine(ClientFolder, "tests"), "test_*.py")
            .Select(path => Path.GetFileNameWithoutExtension(path)!).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(modules, cases);
    }

    [GeneratedRegex(@"Ran (\d+) tests? in")]
    private static partial Regex RanPattern();
}
