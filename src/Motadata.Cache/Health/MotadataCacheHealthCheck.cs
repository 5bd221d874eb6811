using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Motadata.Cache.Internal;

namespace Motadata.Cache;

/// <summary>
/// Reports whether a cache's backend answers, from a probe read and <see cref="CacheMechanism.Health"/>: healthy
/// when the probe succeeds and recovery reports healthy, degraded while recovery reports degraded, and the
/// registration's failure status (default unhealthy) when the probe throws or the circuit is open.
/// Register it with <c>services.AddHealthChecks().Add(MotadataCacheHealthCheck.Registration())</c>, or
/// <c>.AddCheck&lt;MotadataCacheHealthCheck&gt;("cache")</c> for the default cache.
/// </summary>
public sealed class MotadataCacheHealthCheck : IHealthCheck
{
    /// <summary>The key the probe reads, in the global namespace; nothing is ever stored under it.</summary>
    public const string ProbeKey = "__motadata_cache_health__";

    private readonly CacheMechanism _cache;

    /// <summary>A check of <paramref name="cache"/>.</summary>
    /// <param name="cache">The cache to probe.</param>
    /// <exception cref="ArgumentNullException"><paramref name="cache"/> is null.</exception>
    public MotadataCacheHealthCheck(CacheMechanism cache)
    {
        if (cache is null)
        {
            Throw.ArgumentNull(nameof(cache));
        }

        _cache = cache;
    }

    /// <summary>
    /// A registration for <c>IHealthChecksBuilder.Add</c> that checks the cache registered under
    /// <paramref name="cacheName"/>.
    /// </summary>
    /// <param name="cacheName">The cache's name in the container; null or empty for the default cache.</param>
    /// <param name="healthCheckName">The check's name in reports; null for <c>motadata-cache</c> (plus <c>-</c> and the cache's name for a named cache).</param>
    /// <param name="failureStatus">What an unreachable backend reports; null for <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags for filtering checks, such as <c>ready</c>.</param>
    /// <returns>The registration.</returns>
    public static HealthCheckRegistration Registration(string? cacheName = null, string? healthCheckName = null, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        var name = cacheName ?? string.Empty;
        return new HealthCheckRegistration(
            healthCheckName ?? (name.Length == 0 ? "motadata-cache" : "motadata-cache-" + name),
            services => new MotadataCacheHealthCheck(services.GetRequiredService<ICacheMechanismProvider>().GetCache(name)),
            failureStatus,
            tags);
    }

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failureStatus = context?.Registration?.FailureStatus ?? HealthStatus.Unhealthy;
        var started = Stopwatch.GetTimestamp();
        var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["backend"] = _cache.Backend.ToString() };
        try
        {
            // A real read, so an outage nobody has noticed yet (no traffic since the server went away) shows up now;
            // through the probe path, so polls are not counted as misses of the global namespace.
            await _cache.ProbeAsync(ProbeKey, cancellationToken).ConfigureAwait(false);
            data["latencyMs"] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Any failure of the probe is the answer the check exists to give.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return new HealthCheckResult(failureStatus, $"The {_cache.Backend} backend does not answer: {exception.Message}", exception, data);
        }

        // With recovery on, failures come back as misses: the recovery state is what tells.
        var health = _cache.Health;
        data["status"] = health.Status.ToString();
        data["since"] = health.Since;
        if (health.LastError is { } lastError)
        {
            data["lastError"] = lastError;
        }

        return health.Status switch
        {
            CacheHealthStatus.Healthy => HealthCheckResult.Healthy($"The {_cache.Backend} backend answers.", data),
            CacheHealthStatus.Degraded => HealthCheckResult.Degraded($"The {_cache.Backend} backend is degraded since {health.Since:O}: {health.LastError}", data: data),
            _ => new HealthCheckResult(failureStatus, $"The {_cache.Backend} backend is unavailable since {health.Since:O} (circuit open; reads are misses): {health.LastError}", data: data),
        };
    }
}
