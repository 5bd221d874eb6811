using System.Net;
using Motadata.Cache.Server.Tests.Infrastructure;
using OpenQA.Selenium;

namespace Motadata.Cache.Server.Tests.Dashboard;

/// <summary>
/// The operator page in a real headless chromium against the real service, run on every backend: it shows the
/// tenants that traffic created with their exact figures, follows more traffic, sorts them, and logs no console
/// error. The browser is shared by the collection (<see cref="BrowserFixture"/>).
/// </summary>
[Collection(BrowserTestGroup.Name)]
public abstract class DashboardBrowserTests
{
    private readonly BrowserFixture _browsers;

    protected DashboardBrowserTests(BrowserFixture browsers) => _browsers = browsers;

    /// <summary>The backend's settings (<c>Cache:Backend</c> ...).</summary>
    protected abstract IEnumerable<KeyValuePair<string, string?>> BackendSettings { get; }

    /// <summary>The backend's name as the page shows it.</summary>
    protected abstract string BackendName { get; }

    [Fact]
    public async Task PageShowsTheTenantsTrafficCreatedWithTheirFiguresAndFollowsMoreTraffic()
    {
        await using var host = await ServiceHost.StartAsync(BackendSettings);
        var client = host.CreateClient();
        var busy = "acme-" + Guid.NewGuid().ToString("N")[..8];
        var quiet = "Globex ü/" + Guid.NewGuid().ToString("N")[..8];
        await PutAsync(client, busy, "k1", "k2", "k3");
        await GetAsync(client, busy, HttpStatusCode.OK, "k1", "k2");
        await GetAsync(client, busy, HttpStatusCode.NotFound, "absent");
        await PutAsync(client, quiet, "x");
        await GetAsync(client, quiet, HttpStatusCode.NotFound, "y", "z");

        var browser = _browsers.Fresh();
        browser.Driver.Navigate().GoToUrl(new Uri(host.BaseAddress, "dashboard?refresh=1"));

        // Entries come from the background usage read on Dragonfly (as on /metrics), so they may follow the counters.
        await browser.WaitUntilAsync(
            () => browser.TenantFigures(busy, "hits") == "2" && browser.TenantFigures(quiet, "misses") == "2"
                && browser.TenantFigures(busy, "size") == "3" && browser.TenantFigures(quiet, "size") == "1",
            "both tenants' figures");
        Assert.Equal("3 2 1 3", browser.TenantFigures(busy, "requests", "hits", "misses", "size"));
        Assert.Equal("2 0 2 1", browser.TenantFigures(quiet, "requests", "hits", "misses", "size"));
        Assert.Equal(quiet, browser.Driver.ExecuteScript("return [...document.querySelectorAll('#tenants td[data-field=tenant]')].map(td => td.textContent).find(t => t === arguments[0]) ?? null;", quiet));
        Assert.True(long.Parse(browser.TenantFigures(busy, "memory_usage")!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal(BackendName, browser.Driver.FindElement(By.Id("backend")).Text);
        Assert.Equal("Healthy", browser.Driver.FindElement(By.Id("health")).Text);
        await browser.WaitUntilAsync(() => browser.Driver.FindElement(By.Id("readiness")).Text == "ready", "the readiness badge");
        Assert.Equal("4", browser.Driver.FindElement(By.Id("size")).GetDomAttribute("data-value"));

        // Sorted by requests, most first: the busy tenant leads.
        Assert.Equal(busy + " " + quiet, browser.TenantOrder());

        await GetAsync(client, busy, HttpStatusCode.OK, "k1", "k1", "k1", "k1", "k1");
        await GetAsync(client, quiet, HttpStatusCode.OK, "x");
        await browser.WaitUntilAsync(() => browser.TenantFigures(busy, "hits") == "7" && browser.TenantFigures(quiet, "hits") == "1", "the figures after more traffic");
        Assert.Equal("8 7 1", browser.TenantFigures(busy, "requests", "hits", "misses"));
        await browser.WaitUntilAsync(() => browser.Driver.FindElement(By.Id("hit-rate-detail")).Text == "8 hits, 3 misses", "the whole cache's hits and misses");


        // The columns sort on a click: most misses first, then fewest entries first on a second click.
        browser.Driver.FindElement(By.CssSelector("th[data-sort='misses']")).Click();
        Assert.Equal(quiet + " " + busy, browser.TenantOrder());
        browser.Driver.FindElement(By.CssSelector("th[data-sort='size']")).Click();
        Assert.Equal(busy + " " + quiet, browser.TenantOrder());
        browser.Driver.FindElement(By.CssSelector("th[data-sort='size']")).Click();
        Assert.Equal(quiet + " " + busy, browser.TenantOrder());

        Assert.Empty(browser.ConsoleErrors());
    }

    internal static async Task PutAsync(HttpClient client, string tenant, params string[] keys)
    {
        foreach (var key in keys)
        {
            var put = await client.PutAsync(Path(tenant, key), Http.Bytes("{\"v\":1}"u8.ToArray(), "application/json"));
            await Http.AssertStatusAsync(put, HttpStatusCode.NoContent);
        }
    }

    internal static async Task GetAsync(HttpClient client, string tenant, HttpStatusCode expected, params string[] keys)
    {
        foreach (var key in keys)
        {
            await Http.AssertStatusAsync(await client.GetAsync(Path(tenant, key)), expected);
        }
    }

    private static string Path(string tenant, string key) => $"v1/tenants/{Uri.EscapeDataString(tenant)}/keys/{Uri.EscapeDataString(key)}";
}
