namespace Motadata.Cache.Server.Configuration;

/// <summary>The <c>Service:Metrics</c> section: who may read <c>/metrics</c> and whether its series name tenants.</summary>
internal sealed class MetricsOptions
{
    /// <summary>
    /// Whether <c>/metrics</c> needs an API key with <c>Metrics: true</c> or <c>Admin: true</c>. A key that may only use
    /// tenants is refused (403): the series name every tenant and its usage, which no tenant should see of another.
    /// </summary>
    /// <value>Default false (anyone who can reach the port may scrape; put it behind your network policy).</value>
    public bool RequireApiKey { get; set; }

    /// <summary>
    /// Whether the service's series carry a <c>tenant</c> label (one series per tenant, at most
    /// <c>Service:MaxMetricTenants</c>); false reports the whole cache in one series per instrument and names no tenant.
    /// </summary>
    /// <value>Default true.</value>
    public bool TenantLabels { get; set; } = true;

    /// <summary>
    /// On a remote backend, how old the service's per-tenant figures (entries, bytes, and the hits and misses read
    /// with them) may get. Counting a tenant's entries and bytes there takes a <c>SCAN</c> and one <c>MEMORY USAGE</c>
    /// per key, so after the first scrape the figures are refreshed in the background at most this often and a scrape
    /// never waits for a scan. The memory backend's figures cost nothing and are at most a second old. The library's
    /// own <c>motadata_cache_*</c> counters are always current.
    /// </summary>
    /// <value>Default 30 seconds; between one second and one day.</value>
    public TimeSpan StatsRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Adds a line to <paramref name="errors"/> for every bad setting.</summary>
    /// <param name="keys">The configured API keys.</param>
    /// <param name="errors">Where the messages go.</param>
    public void Validate(IReadOnlyList<ApiKeyOptions> keys, List<string> errors)
    {
        if (StatsRefreshInterval < TimeSpan.FromSeconds(1) || StatsRefreshInterval > TimeSpan.FromDays(1))
        {
            errors.Add($"Service:Metrics:StatsRefreshInterval is {StatsRefreshInterval}; use between 00:00:01 and 1.00:00:00.");
        }

        if (RequireApiKey && !keys.Any(static key => key.Metrics || key.Admin))
        {
            errors.Add("Service:Metrics:RequireApiKey is true, but no key of Service:ApiKeys may read metrics: add one with \"Metrics\": true (or \"Admin\": true), or set RequireApiKey to false.");
        }
    }
}
