namespace Motadata.Cache;

/// <summary>
/// A snapshot of how a cache's backend is doing, for health checks and dashboards. The memory backend is always
/// <see cref="CacheHealthStatus.Healthy"/>; so is Dragonfly with <see cref="CacheConfig.EnableRecovery"/> off, where
/// every failure reaches the caller as a <see cref="CacheBackendException"/> instead.
/// </summary>
public sealed record CacheHealth
{
    /// <summary>The current state.</summary>
    public required CacheHealthStatus Status { get; init; }

    /// <summary>When the cache entered <see cref="Status"/> (by the configured <see cref="CacheConfig.TimeProvider"/>).</summary>
    public required DateTimeOffset Since { get; init; }

    /// <summary>
    /// What the last backend failure was, as its message (the endpoint and the cause, never a password); kept after
    /// the cache has recovered, so a health check can show why it was last degraded. Null if nothing failed yet.
    /// </summary>
    public string? LastError { get; init; }

    /// <summary>When <see cref="LastError"/> happened; null if nothing failed yet.</summary>
    public DateTimeOffset? LastErrorAt { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        LastError is null ? $"{Status} since {Since:O}" : $"{Status} since {Since:O} (last error at {LastErrorAt:O}: {LastError})";
}
