using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Motadata.Cache.Server.Tests.Infrastructure;

/// <summary>
/// A real headless Debian <c>chromium</c>, driven through Debian's <c>chromedriver</c> (both installed by
/// <c>scripts/test</c>), with a fresh profile that is deleted afterwards. Nothing is downloaded: the driver and the
/// browser are named by path, so Selenium Manager is not asked for either.
/// </summary>
public sealed class Browser : IDisposable
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private const string ChromedriverPath = "/usr/bin/chromedriver";
    private readonly string _profile;

    private Browser(ChromeDriver driver, string profile)
    {
        Driver = driver;
        _profile = profile;
    }

    public ChromeDriver Driver { get; }

    public static Browser Start()
    {
        foreach (var path in new[] { ChromiumPath, ChromedriverPath })
        {
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"{path} is missing: the browser tests need Debian's chromium and chromium-driver packages (scripts/test installs them).");
            }
        }

        var profile = Directory.CreateTempSubdirectory("motadata-cache-chromium-").FullName;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments(
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1000", $"--user-data-dir={profile}");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromedriverPath)!, Path.GetFileName(ChromedriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        try
        {
            var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
            driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(60);
            return new Browser(driver, profile);
        }
        catch
        {
            service.Dispose();
            Directory.Delete(profile, recursive: true);
            throw;
        }
    }

    /// <summary>The console messages of level SEVERE (errors, failed loads) since the last call.</summary>
    public IReadOnlyList<string> ConsoleErrors() =>
        [.. Driver.Manage().Logs.GetLog(LogType.Browser).Where(static entry => entry.Level >= LogLevel.Severe).Select(static entry => entry.Message)];

    /// <summary>Polls <paramref name="condition"/> until it holds; a generous deadline only bounds a hang.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (condition())
                {
                    return;
                }
            }
            catch (WebDriverException exception)
            {
                // An element replaced by a refresh between finding and reading it: read again.
                last = exception;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The page did not show {what} in time. Last error: {last?.Message ?? "none"}. Page text:{Environment.NewLine}{Driver.FindElement(By.TagName("body")).Text}");
    }

    /// <summary>
    /// The <c>data-value</c>s of fields of a tenant's row, space-separated, read in one script so a refresh cannot
    /// replace the row halfway; null while the row is not shown.
    /// </summary>
    public string? TenantFigures(string tenant, params string[] fields) =>
        (string?)Driver.ExecuteScript(
            """
            const row = [...document.querySelectorAll('#tenants tr')].find(r => r.dataset.tenant === arguments[0]);
            if (!row) { return null; }
            return arguments[1].map(f => { const td = row.querySelector('td[data-field="' + f + '"]'); return td ? td.dataset.value : '?'; }).join(' ');
            """,
            tenant,
            fields);

    /// <summary>The tenants of the table, top to bottom, space-separated.</summary>
    public string TenantOrder() =>
        (string)Driver.ExecuteScript("return [...document.querySelectorAll('#tenants tr')].map(r => r.dataset.tenant).join(' ');")!;

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // chromium may still be writing its profile as it exits; the temp folder is cleaned by the system.
        }
    }
}
