namespace Motadata.Cache;

public sealed partial class CacheMechanism
{
    /// <summary>This cache's meter and instruments (see <see cref="CacheDiagnostics"/>).</summary>
    internal Telemetry.CacheTelemetry Telemetry => _telemetry;

    /// <summary>Calls to the server that failed so far, read without asking the server (for the health check).</summary>
    internal long BackendFailureCount => _statistics.BackendFailures;
}
