using System.Collections.Concurrent;

namespace Motadata.Cache.Telemetry;

/// <summary>
/// Keeps the number of distinct <c>cache.tenant</c> values bounded: the first tenants seen keep their id, and every
/// later one is reported as <see cref="CacheDiagnostics.OtherTenants"/>. A tenant once admitted stays admitted, so
/// a series never changes its tag.
/// </summary>
internal sealed class TenantTagGuard
{
    private readonly ConcurrentDictionary<string, bool> _admitted = new(StringComparer.Ordinal);
    private readonly int _limit;

    public TenantTagGuard(int limit) => _limit = limit;

    public string Tag(string tenantId)
    {
        if (_admitted.ContainsKey(tenantId))
        {
            return tenantId;
        }

        lock (_admitted)
        {
            if (_admitted.ContainsKey(tenantId))
            {
                return tenantId;
            }

            if (_admitted.Count < _limit)
            {
                _admitted[tenantId] = true;
                return tenantId;
            }
        }

        return CacheDiagnostics.OtherTenants;
    }
}
