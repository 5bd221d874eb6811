namespace Motadata.Cache.Server.Tests.Infrastructure;

/// <summary>
/// One headless chromium shared by the browser tests (starting it is most of a browser test's time on a busy
/// machine). Each test opens its own service on its own port, so pages share no origin, no storage and no cookie;
/// each drains the console log before it starts.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserTestGroup : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
