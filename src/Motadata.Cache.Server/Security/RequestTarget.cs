namespace Motadata.Cache.Server.Security;

/// <summary>
/// Reads the path of the request target as the client sent it, and finds what a normalizer would rewrite in it.
/// Kestrel decodes <c>%2E</c> and removes <c>.</c> and <c>..</c> segments before routing, and proxies in front of
/// the service may also merge <c>//</c> or turn <c>\</c> into <c>/</c>: a path holding any of these means different
/// things to different readers, so the service refuses it rather than guess (<see cref="RequestTargetMiddleware"/>).
/// A path without them has the same segments raw as routed, so the route and the tenant and key read from the raw
/// target (<see cref="CachePath"/>) come from one and the same split.
/// </summary>
internal static class RequestTarget
{
    /// <summary>The path of a raw target: itself in origin form (<c>/a/b?q</c>), the part after the authority in absolute form (<c>http://host/a/b</c>).</summary>
    /// <param name="rawTarget">The request target as the client sent it.</param>
    /// <returns>The path without its query; empty for the asterisk form or a target with no path.</returns>
    public static ReadOnlySpan<char> Path(string rawTarget)
    {
        ReadOnlySpan<char> path = rawTarget;
        var query = path.IndexOfAny('?', '#');
        if (query >= 0)
        {
            path = path[..query];
        }

        if (path.StartsWith('/'))
        {
            return path;
        }

        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return [];
        }

        var authorityAndPath = path[(scheme + 3)..];
        var slash = authorityAndPath.IndexOf('/');
        return slash < 0 ? "/" : authorityAndPath[slash..];
    }

    /// <summary>Says what in <paramref name="path"/> a normalizer would rewrite, or null when nothing.</summary>
    /// <param name="path">A path from <see cref="Path"/>.</param>
    /// <returns>A description of the first offending part, or null.</returns>
    public static string? FindAmbiguity(ReadOnlySpan<char> path)
    {
        if (path.Length <= 1)
        {
            return null;
        }

        if (path.Contains('\\'))
        {
            return "a '\\' (some servers and proxies read it as '/')";
        }

        // Segments between slashes, skipping the leading one: "/a/b" is "a", "b"; "/a/" has an empty last segment.
        var rest = path[1..];
        while (true)
        {
            var end = rest.IndexOf('/');
            var segment = end < 0 ? rest : rest[..end];
            if (segment.IsEmpty)
            {
                return "an empty segment ('//' or a '/' at the end)";
            }

            switch (DotCount(segment))
            {
                case 1:
                    return "a '.' segment";
                case 2:
                    return "a '..' segment";
            }

            if (end < 0)
            {
                return null;
            }

            rest = rest[(end + 1)..];
        }
    }

    /// <summary>1 for a segment that decodes to ".", 2 for "..", otherwise 0; <c>%2E</c> in either case counts as a dot.</summary>
    private static int DotCount(ReadOnlySpan<char> segment)
    {
        var dots = 0;
        while (!segment.IsEmpty)
        {
            if (segment[0] == '.')
            {
                segment = segment[1..];
            }
            else if (segment.Length >= 3 && segment[0] == '%' && segment[1] == '2' && (segment[2] | 0x20) == 'e')
            {
                segment = segment[3..];
            }
            else
            {
                return 0;
            }

            if (++dots > 2)
            {
                return 0;
            }
        }

        return dots;
    }
}
