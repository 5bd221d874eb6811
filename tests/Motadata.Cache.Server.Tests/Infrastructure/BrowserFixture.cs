namespace Motadata.Cache.Server.Tests.Infrastructure;

/// <summary>Starts the shared browser on first use and quits it after the last test of the collection.</summary>
public sealed class BrowserFixture : IDisposable
{
    private readonly Lazy<Browser> _browser = new(Browser.Start);

    /// <summary>The browser, its console log drained.</summary>
    public Browser Fresh()
    {
        var browser = _browser.Value;
        browser.Driver.Navigate().GoToUrl("about:blank");
        _ = browser.ConsoleErrors();
        return browser;
    }

    public void Dispose()
    {
        if (_browser.IsValueCreated)
        {
            _browser.Value.Dispose();
        }
    }
}
