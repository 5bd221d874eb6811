using System.Reflection;
using System.Text.Json;
using Motadata.Cache.Server.Configuration;
using Motadata.Cache.Server.Security;
using Motadata.Cache.Server.Telemetry;

namespace Motadata.Cache.Server.Dashboard;

/// <summary>
/// The operator page: <c>GET /dashboard</c> and its script and style, embedded in the assembly (nothing fetched from
/// elsewhere), and <c>GET /v1/dashboard</c>, the admin-only JSON the page polls. The page itself holds no data, so it
/// is public like <c>/openapi/v1.json</c>; every figure comes from the admin route, which the page calls with the admin
/// key the operator typed (kept in the tab's sessionStorage, sent as <c>Authorization: Bearer</c>, never in a URL or
/// a cookie). A strict Content-Security-Policy allows the page's own script, style and requests only.
/// </summary>
internal sealed class DashboardEndpoints
{
    /// <summary>The page's own security headers: nothing but its own files, no framing, no referrer.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Asset Page = Asset.Load("index.html", "text/html; charset=utf-8");
    private static readonly Asset Script = Asset.Load("dashboard.js", "text/javascript; charset=utf-8");
    private static readonly Asset Style = Asset.Load("dashboard.css", "text/css; charset=utf-8");

    private readonly CacheMechanism _cache;
    private readonly ServiceMetrics _metrics;
    private readonly ServiceOptions _service;
    private readonly bool _keysRequired;
    private readonly byte[] _page;

    /// <summary>Creates the page's routes.</summary>
    /// <param name="cache">The cache whose figures are shown.</param>
    /// <param name="metrics">Where the per-tenant figures come from (the same snapshot as <c>/metrics</c>).</param>
    /// <param name="service">The service settings.</param>
    /// <param name="keysRequired">Whether API keys are configured, so the page asks for an admin key first.</param>
    public DashboardEndpoints(CacheMechanism cache, ServiceMetrics metrics, ServiceOptions service, bool keysRequired)
    {
        _cache = cache;
        _metrics = metrics;
        _service = service;
        _keysRequired = keysRequired;

        // The page says whether to ask for a key before its first request, so it never sends one that must fail.
        _page = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(Page.Content)
            .Replace("data-auth=\"\"", keysRequired ? "data-auth=\"required\"" : "data-auth=\"none\"", StringComparison.Ordinal));
    }

    /// <summary>Maps the page, its assets and its data route.</summary>
    /// <param name="routes">Where to map them.</param>
    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/dashboard", (HttpContext context) => WriteAssetAsync(context, _page, Page.ContentType)).ExcludeFromDescription();
        routes.MapGet("/dashboard/dashboard.js", (HttpContext context) => WriteAssetAsync(context, Script.Content, Script.ContentType)).ExcludeFromDescription();
        routes.MapGet("/dashboard/dashboard.css", (HttpContext context) => WriteAssetAsync(context, Style.Content, Style.ContentType)).ExcludeFromDescription();
        routes.MapGet("/v1/dashboard", (HttpContext context, CancellationToken cancellationToken) => WriteFiguresAsync(context, cancellationToken)).WithTags("Admin").WithName("Dashboard").WithMetadata(RouteAccess.AdminOnly)
            .WithSummary("Everything the operator page at /dashboard shows: backend, health, totals, limits, nodes and the top tenants (admin keys only).")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
    }

    private static Task WriteAssetAsync(HttpContext context, byte[] content, string contentType)
    {
        var response = context.Response;
        response.ContentType = contentType;
        response.ContentLength = content.Length;
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        return response.Body.WriteAsync(content, context.RequestAborted).AsTask();
    }

    private async Task WriteFiguresAsync(HttpContext context, CancellationToken cancellationToken)
    {
        // The whole cache's figures (on Dragonfly this walks the servers, as GET /v1/stats does; the page asks every
        // few seconds only while an operator has it open), the tenants from /metrics' snapshot.
        var totals = await _cache.GetStatsAsync(null, cancellationToken).ConfigureAwait(false);
        var health = _cache.Health;
        var config = _cache.Config;
        var tenants = _metrics.TenantStatistics();

        var response = context.Response;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        await using (var json = new Utf8JsonWriter(response.BodyWriter))
        {
            json.WriteStartObject();
            json.WriteString("generated_at", _cache.TimeProvider.GetUtcNow());
            json.WriteString("backend", _cache.Backend.ToString());
            json.WriteBoolean("keys_required", _keysRequired);

            json.WriteStartObject("health");
            json.WriteString("status", health.Status.ToString());
            json.WriteString("since", health.Since);
            WriteNullable(json, "last_error", health.LastError);
            if (health.LastErrorAt is { } lastErrorAt)
            {
                json.WriteString("last_error_at", lastErrorAt);
            }
            else
            {
                json.WriteNull("last_error_at");
            }

            json.WriteEndObject();

            json.WriteStartObject("settings");
            json.WriteBoolean("recovery", config.EnableRecovery && config.Backend != CacheBackend.Memory);
            json.WriteNumber("recovery_journal_capacity", (config.Recovery ?? new RecoveryOptions()).JournalCapacity);
            json.WriteNumber("pending_removals", _cache.PendingRemovals);
            json.WriteBoolean("local_level", config.LocalLevel is not null);
            json.WriteBoolean("tenant_labels", _service.Metrics.TenantLabels);
            json.WriteNumber("max_metric_tenants", _service.MaxMetricTenants);
            json.WriteEndObject();

            json.WriteStartObject("totals");
            WriteFigures(json, totals);
            json.WriteNumber("sets", totals.Sets);
            json.WriteNumber("evictions", totals.Evictions);
            json.WriteNumber("quota_evictions", totals.QuotaEvictions);
            json.WriteNumber("expirations", totals.Expirations);
            json.WriteNumber("rejected_values", totals.RejectedValues);
            json.WriteNumber("corrupt_payloads", totals.CorruptPayloads);
            // The optional sections flattened as before (0 when the feature is off), so the page's shape is unchanged.
            json.WriteNumber("backend_failures", totals.Dragonfly?.BackendFailures ?? 0);
            json.WriteNumber("breaker_openings", totals.Recovery?.BreakerOpenings ?? 0);
            json.WriteNumber("replayed_operations", totals.Recovery?.ReplayedOperations ?? 0);
            json.WriteNumber("journal_overflows", totals.Recovery?.JournalOverflows ?? 0);
            json.WriteNumber("abandoned_removals", totals.Recovery?.AbandonedRemovals ?? 0);
            json.WriteNumber("local_hits", totals.LocalLevel?.Hits ?? 0);
            json.WriteNumber("local_flushes", totals.LocalLevel?.Flushes ?? 0);
            json.WriteNumber("backplane_messages_sent", totals.LocalLevel?.BackplaneMessagesSent ?? 0);
            json.WriteNumber("backplane_messages_received", totals.LocalLevel?.BackplaneMessagesReceived ?? 0);
            json.WriteNumber("backplane_messages_dropped", totals.LocalLevel?.BackplaneMessagesDropped ?? 0);
            json.WriteEndObject();

            // Each server: its share (when its walk answered) and its own health (cluster primaries, sharded servers).
            json.WriteStartArray("nodes");
            var nodeHealth = _cache.NodeHealth;
            var shown = new HashSet<string>(StringComparer.Ordinal);
            foreach (var node in totals.Nodes)
            {
                shown.Add(node.Endpoint);
                json.WriteStartObject();
                json.WriteString("endpoint", node.Endpoint);
                json.WriteNumber("size", node.Size);
                json.WriteNumber("memory_usage", node.MemoryUsage);
                WriteNodeHealth(json, nodeHealth, node.Endpoint);
                json.WriteEndObject();
            }

            foreach (var (endpoint, _) in nodeHealth)
            {
                if (shown.Add(endpoint))
                {
                    json.WriteStartObject();
                    json.WriteString("endpoint", endpoint);
                    json.WriteNull("size");
                    json.WriteNull("memory_usage");
                    WriteNodeHealth(json, nodeHealth, endpoint);
                    json.WriteEndObject();
                }
            }

            json.WriteEndArray();

            json.WriteStartArray("tenants");
            foreach (var (tenant, stats) in tenants)
            {
                json.WriteStartObject();
                json.WriteString("tenant", tenant);
                WriteFigures(json, stats);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(cancellationToken);
    }

    private static void WriteNodeHealth(Utf8JsonWriter json, IReadOnlyList<KeyValuePair<string, CacheHealth>> nodeHealth, string endpoint)
    {
        foreach (var (name, health) in nodeHealth)
        {
            if (string.Equals(name, endpoint, StringComparison.Ordinal))
            {
                json.WriteString("status", health.Status.ToString());
                WriteNullable(json, "last_error", health.LastError);
                return;
            }
        }

        // A single server, or recovery off: the cache's own health is the node's.
        json.WriteNull("status");
        json.WriteNull("last_error");
    }

    private static void WriteFigures(Utf8JsonWriter json, CacheStats stats)
    {
        json.WriteNumber("hits", stats.Hits);
        json.WriteNumber("misses", stats.Misses);
        json.WriteNumber("hit_rate", stats.HitRate);
        json.WriteNumber("size", stats.Size);
        json.WriteNumber("memory_usage", stats.MemoryUsage);
        WriteNullable(json, "max_size", stats.MaxSize);
        WriteNullable(json, "max_memory_bytes", stats.MaxMemoryBytes);
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    /// <summary>A file embedded in the assembly (<c>Dashboard/Assets</c>), read once.</summary>
    private sealed record Asset(byte[] Content, string ContentType)
    {
        public static Asset Load(string name, string contentType)
        {
            var resource = $"Motadata.Cache.Server.Dashboard.Assets.{name}";
            using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"The embedded resource {resource} is missing from the build.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return new Asset(copy.ToArray(), contentType);
        }
    }
}
