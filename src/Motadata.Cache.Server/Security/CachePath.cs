namespace Motadata.Cache.Server.Security;

/// <summary>
/// Reads the tenant and key from the raw request target. The server's decoded path keeps <c>%2F</c> encoded and
/// turns <c>%25</c> into <c>%</c>, so <c>%252F</c> and <c>%2F</c> would look alike there; the raw target, decoded
/// once here, tells them apart and lets a key hold any character, <c>/</c> included.
/// </summary>
internal static class CachePath
{
    private const string TenantsPrefix = "/v1/tenants/";
    private const string KeysSegment = "keys/";

    /// <summary>Splits <c>/v1/tenants/{tenant}[/keys/{key}]...</c> into its decoded tenant and key.</summary>
    /// <param name="rawTarget">The request target as the client sent it.</param>
    /// <param name="hasKey">Whether the route ends in a key.</param>
    /// <param name="tenant">The decoded tenant.</param>
    /// <param name="key">The decoded key, or null when <paramref name="hasKey"/> is false.</param>
    /// <returns>False when the target does not have that shape (dot segments, for instance).</returns>
    public static bool TryParse(string rawTarget, bool hasKey, out string tenant, out string? key)
    {
        tenant = string.Empty;
        key = null;
        ReadOnlySpan<char> path = rawTarget;
        var query = path.IndexOfAny('?', '#');
        if (query >= 0)
        {
            path = path[..query];
        }

        if (!path.StartsWith('/'))
        {
            // The absolute form (http://host/path), as sent to proxies.
            var scheme = path.IndexOf("://", StringComparison.Ordinal);
            if (scheme < 0)
            {
                return false;
            }

            var authorityAndPath = path[(scheme + 3)..];
            var slash = authorityAndPath.IndexOf('/');
            path = slash < 0 ? "/" : authorityAndPath[slash..];
        }

        if (!path.StartsWith(TenantsPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        path = path[TenantsPrefix.Length..];
        var end = path.IndexOf('/');
        var rawTenant = end < 0 ? path : path[..end];
        if (rawTenant.IsEmpty)
        {
            return false;
        }

        tenant = Uri.UnescapeDataString(rawTenant);
        if (!hasKey)
        {
            return true;
        }

        if (end < 0)
        {
            return false;
        }

        var rest = path[(end + 1)..];
        if (!rest.StartsWith(KeysSegment, StringComparison.Ordinal))
        {
            return false;
        }

        key = Uri.UnescapeDataString(rest[KeysSegment.Length..]);
        return true;
    }
}
