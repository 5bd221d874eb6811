namespace Motadata.Cache.Server.Security;

/// <summary>
/// Reads the tenant and key from the raw request target, and checks that it names the route the router chose. The
/// server's decoded path keeps <c>%2F</c> encoded and turns <c>%25</c> into <c>%</c>, so <c>%252F</c> and <c>%2F</c>
/// would look alike there; the raw target, decoded once here, tells them apart and lets a key hold any character,
/// <c>/</c> included. <see cref="RequestTargetMiddleware"/> has already refused dot and empty segments, so the raw
/// segments are the routed ones, one for one.
/// </summary>
internal static class CachePath
{
    private const string TenantsPrefix = "/v1/tenants/";

    /// <summary>Splits <c>/v1/tenants/{tenant}/{segment}[/{key}]</c> into its decoded tenant and key.</summary>
    /// <param name="rawTarget">The request target as the client sent it.</param>
    /// <param name="access">The route the router chose, whose segment the target must name.</param>
    /// <param name="tenant">The decoded tenant.</param>
    /// <param name="key">The decoded key, or null when the route has none.</param>
    /// <returns>False when the target does not have the route's shape.</returns>
    public static bool TryParse(string rawTarget, RouteAccess access, out string tenant, out string? key)
    {
        tenant = string.Empty;
        key = null;
        var path = RequestTarget.Path(rawTarget);
        if (!path.StartsWith(TenantsPrefix, StringComparison.Ordinal) || access.RouteSegment is not { } routeSegment)
        {
            return false;
        }

        path = path[TenantsPrefix.Length..];
        var end = path.IndexOf('/');
        if (end <= 0)
        {
            return false;
        }

        var rawTenant = path[..end];
        var rest = path[(end + 1)..];
        var segmentEnd = rest.IndexOf('/');
        var segment = segmentEnd < 0 ? rest : rest[..segmentEnd];

        // Compared decoded, as the router compares it ("%73tats" is "stats").
        if (!DecodesTo(segment, routeSegment) || (segmentEnd >= 0) != access.HasKey)
        {
            return false;
        }

        tenant = Uri.UnescapeDataString(rawTenant);
        if (access.HasKey)
        {
            key = Uri.UnescapeDataString(rest[(segmentEnd + 1)..]);
        }

        return true;
    }

    private static bool DecodesTo(ReadOnlySpan<char> raw, string expected) =>
        raw.Contains('%') ? string.Equals(Uri.UnescapeDataString(raw), expected, StringComparison.Ordinal) : raw.SequenceEqual(expected);
}
