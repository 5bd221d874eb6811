namespace Motadata.Cache;

public sealed partial class CacheMechanism
{
    /// <summary>This cache's meter and instruments (see <see cref="CacheDiagnostics"/>).</summary>
    internal Telemetry.CacheTelemetry Telemetry => _telemetry;
}
