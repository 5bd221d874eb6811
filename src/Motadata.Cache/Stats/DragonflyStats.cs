using Motadata.Cache.Stats;

namespace Motadata.Cache;

/// <summary>The Dragonfly backend's own figures: a section of a whole cache's <see cref="CacheStats"/>.</summary>
public sealed class DragonflyStats
{
    private readonly CacheStats _stats;

    internal DragonflyStats(CacheStats stats) => _stats = stats;

    /// <summary>Calls to the server that failed or timed out.</summary>
    public long BackendFailures => _stats[CounterKind.BackendFailures];

    /// <inheritdoc />
    public override string ToString() => $"BackendFailures={BackendFailures}";
}
