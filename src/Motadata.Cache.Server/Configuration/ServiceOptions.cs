namespace Motadata.Cache.Server.Configuration;

/// <summary>The <c>Service</c> configuration section: who may call the service, how fast, and with how much.</summary>
internal sealed class ServiceOptions
{
    /// <summary>The configuration section these settings bind from.</summary>
    public const string SectionName = "Service";

    /// <summary>The API keys the service accepts. Empty turns authentication off and restricts the service to loopback.</summary>
    /// <value>Default empty.</value>
    public List<ApiKeyOptions> ApiKeys { get; init; } = [];

    /// <summary>Per-tenant request rate limiting.</summary>
    /// <value>Default off.</value>
    public RateLimitOptions RateLimit { get; init; } = new();

    /// <summary>The largest JSON body accepted by <c>warm</c> and <c>invalidate</c>, in bytes; each warmed value is still held to <c>Cache:MaxValueBytes</c>.</summary>
    /// <value>Default 16 MiB.</value>
    public int MaxRequestBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// The most entries one <c>warm</c> request may store; a body with more is refused with 413 and stores nothing, so one
    /// tenant cannot flood the shared cache (and evict every other tenant's entries) in a single call.
    /// </summary>
    /// <value>Default 1000.</value>
    public int MaxWarmEntries { get; set; } = 1000;

    /// <summary>The most tenants reported one by one in <c>/metrics</c>; tenants past it are served but not reported, which bounds the series count.</summary>
    /// <value>Default 100.</value>
    public int MaxMetricTenants { get; set; } = 100;

    /// <summary>Who may read <c>/metrics</c> and whether its series name tenants.</summary>
    /// <value>Default: anyone may read it, with a tenant label.</value>
    public MetricsOptions Metrics { get; init; } = new();

    /// <summary>How long <c>/readyz</c> waits for the backend to answer before reporting it unavailable.</summary>
    /// <value>Default two seconds.</value>
    public TimeSpan ReadinessTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Maps <c>GET /bench/hello</c>, a bare endpoint the load test compares cache reads against. Leave it off in production.</summary>
    /// <value>Default false.</value>
    public bool EnableBenchEndpoints { get; set; }

    /// <summary>Lists every bad setting, or nothing.</summary>
    /// <returns>One line per bad setting.</returns>
    public List<string> Validate()
    {
        var errors = new List<string>();
        for (var i = 0; i < ApiKeys.Count; i++)
        {
            ApiKeys[i].Validate($"Service:ApiKeys:{i}", errors);
        }

        RateLimit.Validate(errors);
        Metrics.Validate(ApiKeys, errors);
        if (MaxRequestBytes < 1)
        {
            errors.Add($"Service:MaxRequestBytes is {MaxRequestBytes}; it must be at least 1.");
        }

        if (MaxWarmEntries < 1)
        {
            errors.Add($"Service:MaxWarmEntries is {MaxWarmEntries}; it must be at least 1.");
        }

        if (MaxMetricTenants < 0)
        {
            errors.Add($"Service:MaxMetricTenants is {MaxMetricTenants}; use 0 to report no tenant or a positive count.");
        }

        if (ReadinessTimeout <= TimeSpan.Zero || ReadinessTimeout > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Service:ReadinessTimeout is {ReadinessTimeout}; use a positive TimeSpan of at most one minute, such as \"00:00:02\".");
        }

        return errors;
    }
}
