using System.Diagnostics;

namespace Motadata.Cache.Telemetry;

/// <summary>
/// One remote call being timed and traced. A class, not a struct, so async methods can finish it from a catch
/// filter; it is only created when someone listens (<see cref="CacheTelemetry.IsObserved"/>).
/// </summary>
internal sealed class OperationScope : IDisposable
{
    private readonly CacheTelemetry _telemetry;
    private readonly Activity? _activity;
    private string? _errorType;

    public OperationScope(CacheTelemetry telemetry, string operation, string? tenantId, long startTimestamp, Activity? activity)
    {
        _telemetry = telemetry;
        Operation = operation;
        TenantId = tenantId;
        StartTimestamp = startTimestamp;
        _activity = activity;
    }

    public string Operation { get; }

    public string? TenantId { get; }

    public long StartTimestamp { get; }

    /// <summary>Marks the call failed; returns false so it can sit in an exception filter without catching.</summary>
    public bool Fail(Exception exception)
    {
        _errorType = exception.GetType().FullName ?? "error";
        _activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
        _activity?.SetTag(CacheDiagnostics.ErrorTypeTag, _errorType);
        return false;
    }

    public void Dispose()
    {
        _telemetry.Record(this, _errorType);
        _activity?.Dispose();
    }
}
