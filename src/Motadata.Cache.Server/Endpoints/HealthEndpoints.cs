using Motadata.Cache.Server.Endpoints.Contracts;

namespace Motadata.Cache.Server.Endpoints;

/// <summary><c>/healthz</c> (the process answers) and <c>/readyz</c> (the backend answers too).</summary>
internal sealed class HealthEndpoints
{
    private readonly CacheMechanism _cache;
    private readonly TimeSpan _timeout;
    private readonly ILogger<HealthEndpoints> _logger;

    /// <summary>Creates the probes.</summary>
    /// <param name="cache">The cache whose backend is probed.</param>
    /// <param name="timeout">How long the backend may take to answer.</param>
    /// <param name="logger">Where failed probes are reported.</param>
    public HealthEndpoints(CacheMechanism cache, TimeSpan timeout, ILogger<HealthEndpoints> logger)
    {
        _cache = cache;
        _timeout = timeout;
        _logger = logger;
    }

    /// <summary>Maps the probes.</summary>
    /// <param name="routes">Where to map them.</param>
    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", Live).WithTags("Health").WithName("Liveness")
            .WithSummary("200 while the process serves requests.")
            .Produces<HealthResponse>();
        routes.MapGet("/readyz", ReadyAsync).WithTags("Health").WithName("Readiness")
            .WithSummary("200 when the backend answers (status Healthy or Degraded), 503 (Unavailable, with no further detail) when it does not or its circuit breaker is open.")
            .Produces<HealthResponse>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private HealthResponse Live() => new("Healthy", _cache.Backend.ToString());

    private async ValueTask ReadyAsync(HttpContext context)
    {
        // A real round trip first: CacheMechanism.Health only learns of a dead server from a call that fails.
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(_timeout);
            // Counts no miss: polling readiness leaves the statistics as they were.
            await _cache.PingAsync(timeout.Token).AsTask().WaitAsync(_timeout, context.RequestAborted);
        }
        catch (Exception exception) when (exception is CacheBackendException or TimeoutException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            // With recovery off, failures reach the caller as exceptions. The probe is unauthenticated: the reason (the
            // backend's own text, which can name other tenants' keys) goes to the log only (issue 21, N8).
            _logger.LogWarning(exception, "Readiness probe failed: the {Backend} backend did not answer within {Timeout}.", _cache.Backend, _timeout);
            await WriteUnavailableAsync(context);
            return;
        }

        // With recovery on, failures become misses and show in Health: Degraded still serves (misses, fallback), Unavailable means the breaker is open.
        var health = _cache.Health;
        if (health.Status == CacheHealthStatus.Unavailable)
        {
            _logger.LogWarning("Readiness probe: the {Backend} backend is unavailable (circuit breaker open since {Since:O}); last error: {LastError}.", _cache.Backend, health.Since, health.LastError ?? "none");
            await WriteUnavailableAsync(context);
            return;
        }

        await context.Response.WriteAsJsonAsync(new HealthResponse(health.Status.ToString(), _cache.Backend.ToString()), ServiceJsonContext.Default.HealthResponse);
    }

    // The status and nothing more: why the backend is unavailable is for the operator's log, not an anonymous caller.
    private Task WriteUnavailableAsync(HttpContext context) =>
        Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, $"Unavailable: the {_cache.Backend} backend does not answer.").AsTask();
}
