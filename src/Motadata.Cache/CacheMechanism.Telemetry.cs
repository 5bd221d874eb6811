namespace Motadata.Cache;

public sealed partial class CacheMechanism
{
    /// <summary>This cache's meter and instruments (see <see cref="CacheDiagnostics"/>).</summary>
    internal Telemetry.CacheTelemetry Telemetry => _telemetry;

    /// <summary>The recovery decorator of a remote backend (under the telemetry one), or null when there is none.</summary>
    private Stores.Recovery.RecoveringStore? Recovering =>
        (_store is Telemetry.InstrumentedStore instrumented ? instrumented.Inner : _store) as Stores.Recovery.RecoveringStore;
}
