using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Dashboard;

/// <summary>The operator page on the memory backend.</summary>
public sealed class MemoryDashboardBrowserTests(BrowserFixture browsers) : DashboardBrowserTests(browsers)
{
    protected override IEnumerable<KeyValuePair<string, string?>> BackendSettings => [];

    protected override string BackendName => "Memory";
}
