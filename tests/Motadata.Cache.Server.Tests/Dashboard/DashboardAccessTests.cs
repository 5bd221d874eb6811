using System.Net;
using System.Net.Http.Headers;
using Motadata.Cache.Server.Tests.Infrastructure;
using OpenQA.Selenium;

namespace Motadata.Cache.Server.Tests.Dashboard;

/// <summary>
/// With API keys configured the page shows nothing until an admin key is given, keeps it in the tab's sessionStorage
/// only (no cookie, nothing in the URL), and the route it reads refuses anything but an admin key.
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed class DashboardAccessTests(BrowserFixture browsers)
{
    private const string TenantKey = "tenant-key-0123456789abcdef";
    private const string AdminKey = "admin-key-0123456789abcdef";

    private static Task<ServiceHost> StartWithKeysAsync() => ServiceHost.StartAsync(
    [
        new("Service:ApiKeys:0:Key", TenantKey),
        new("Service:ApiKeys:0:Tenants:0", "acme"),
        new("Service:ApiKeys:1:Key", AdminKey),
        new("Service:ApiKeys:1:Admin", "true"),
    ]);

    [Fact]
    public async Task PageRefusesWithoutAnAdminKeyAndShowsTheFiguresWithOne()
    {
        await using var host = await StartWithKeysAsync();
        var secretTenant = "acme";
        var client = host.CreateClient(TenantKey);
        await DashboardBrowserTests.PutAsync(client, secretTenant, "k");
        await DashboardBrowserTests.GetAsync(client, secretTenant, HttpStatusCode.OK, "k");

        var browser = browsers.Fresh();
        var driver = browser.Driver;
        driver.Navigate().GoToUrl(new Uri(host.BaseAddress, "dashboard?refresh=1"));
        await browser.WaitUntilAsync(() => driver.FindElement(By.Id("login")).Displayed, "the admin key form");
        Assert.False(driver.FindElement(By.Id("content")).Displayed);
        Assert.Empty(driver.FindElements(By.CssSelector("#tenants tr")));

        // A tenant's key is refused and forgotten; nothing is shown.
        driver.FindElement(By.Id("admin-key")).SendKeys(TenantKey);
        driver.FindElement(By.CssSelector("#login-form button")).Click();
        await browser.WaitUntilAsync(() => driver.FindElement(By.Id("login-error")).Text.Contains("not an admin key", StringComparison.Ordinal), "the refusal of a tenant key");
        Assert.False(driver.FindElement(By.Id("content")).Displayed);
        Assert.Empty(driver.FindElements(By.CssSelector("#tenants tr")));
        Assert.Null(driver.ExecuteScript("return window.sessionStorage.getItem('motadata-cache-admin-key');"));

        driver.FindElement(By.Id("admin-key")).SendKeys(AdminKey);
        driver.FindElement(By.CssSelector("#login-form button")).Click();
        await browser.WaitUntilAsync(() => browser.TenantFigures(secretTenant, "hits") == "1", "the tenant's figures");
        Assert.Equal(AdminKey, driver.ExecuteScript("return window.sessionStorage.getItem('motadata-cache-admin-key');"));
        Assert.Equal(string.Empty, driver.ExecuteScript("return window.localStorage.length === 0 ? '' : 'stored';"));
        Assert.Empty(driver.Manage().Cookies.AllCookies);
        Assert.DoesNotContain(AdminKey, driver.Url, StringComparison.Ordinal);

        // Forgetting the key hides everything again.
        driver.FindElement(By.Id("forget-key")).Click();
        await browser.WaitUntilAsync(() => driver.FindElement(By.Id("login")).Displayed && !driver.FindElement(By.Id("content")).Displayed, "the form again");
        Assert.Null(driver.ExecuteScript("return window.sessionStorage.getItem('motadata-cache-admin-key');"));
    }

    [Fact]
    public async Task FiguresRouteRefusesAnythingButAnAdminKey()
    {
        await using var host = await StartWithKeysAsync();
        await Http.AssertProblemAsync(await host.CreateClient().GetAsync("v1/dashboard"), HttpStatusCode.Unauthorized);
        await Http.AssertProblemAsync(await host.CreateClient(TenantKey).GetAsync("v1/dashboard"), HttpStatusCode.Forbidden);
        var figures = await Http.ReadJsonAsync(await host.CreateClient(AdminKey).GetAsync("v1/dashboard"));
        Assert.True(figures.GetProperty("keys_required").GetBoolean());
    }

    [Fact]
    public async Task PageIsServedWithItsAssetsAndAStrictContentSecurityPolicyAndHoldsNoFigures()
    {
        await using var host = await StartWithKeysAsync();
        await DashboardBrowserTests.PutAsync(host.CreateClient(TenantKey), "acme", "k");
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        var page = await client.GetAsync("dashboard");
        await Http.AssertStatusAsync(page, HttpStatusCode.OK);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("data-auth=\"required\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("acme", html, StringComparison.Ordinal);
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.False(page.Headers.Contains("Set-Cookie"));

        foreach (var (path, mediaType) in new[] { ("dashboard/dashboard.js", "text/javascript"), ("dashboard/dashboard.css", "text/css") })
        {
            var asset = await client.GetAsync(path);
            await Http.AssertStatusAsync(asset, HttpStatusCode.OK);
            Assert.Equal(mediaType, asset.Content.Headers.ContentType?.MediaType);
            var text = await asset.Content.ReadAsStringAsync();
            Assert.DoesNotContain("http://", text, StringComparison.Ordinal);
            Assert.DoesNotContain("https://", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WithoutKeysThePageNeedsNone()
    {
        await using var host = await ServiceHost.StartAsync([]);
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Contains("data-auth=\"none\"", await client.GetStringAsync("dashboard"), StringComparison.Ordinal);
        var figures = await Http.ReadJsonAsync(await client.GetAsync("v1/dashboard"));
        Assert.False(figures.GetProperty("keys_required").GetBoolean());
        Assert.Equal("Memory", figures.GetProperty("backend").GetString());
    }
}
