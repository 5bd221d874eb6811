using System.Net;
using Microsoft.AspNetCore.Http;

namespace Motadata.Cache.Server.Hosting;

/// <summary>
/// Where the service is asked to listen, read from configuration before Kestrel binds anything, so an unprotected
/// service never opens a public port, not even for a moment (Redis's protected mode, decided up front).
/// </summary>
internal static class ListenAddresses
{
    /// <summary>Where the service listens when nothing says otherwise: loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>The addresses configured through <c>urls</c> (<c>--urls</c>, <c>ASPNETCORE_URLS</c>), <c>Kestrel:Endpoints</c> and <c>http_ports</c>/<c>https_ports</c>.</summary>
    /// <param name="configuration">The application's configuration.</param>
    /// <returns>The addresses; empty when none is configured.</returns>
    public static List<string> Configured(IConfiguration configuration)
    {
        var addresses = new List<string>();
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"] is { Length: > 0 } url)
            {
                addresses.Add(url);
            }
        }

        if (configuration["urls"] is { Length: > 0 } urls)
        {
            addresses.AddRange(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        else
        {
            // Kestrel only honours the port lists when no URL is given; they bind every interface.
            AddPorts(configuration["http_ports"], "http", addresses);
            AddPorts(configuration["https_ports"], "https", addresses);
        }

        return addresses;
    }

    /// <summary>True when <paramref name="address"/> can only be reached from this machine: a loopback IP, <c>localhost</c> or a Unix socket.</summary>
    /// <param name="address">A URL such as <c>http://127.0.0.1:8080</c>.</param>
    /// <returns>True for a local-only address.</returns>
    public static bool IsLocalOnly(string address)
    {
        BindingAddress parsed;
        try
        {
            parsed = BindingAddress.Parse(address);
        }
        catch (FormatException)
        {
            return false;
        }

        if (parsed.IsNamedPipe || parsed.IsUnixPipe)
        {
            return true;
        }

        var host = parsed.Host.Trim('[', ']');
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip));
    }

    /// <summary>
    /// For an IPv4-mapped IPv6 address (<c>http://[::ffff:127.0.0.1]:8080</c>), the same URL with the IPv4 address
    /// itself; null for any other address. Linux refuses to bind an IPv6 socket to such an address (EINVAL), so the
    /// service says which address to use instead of failing with a socket error.
    /// </summary>
    /// <param name="address">A URL such as <c>http://127.0.0.1:8080</c>.</param>
    /// <returns>The URL to use instead, or null.</returns>
    public static string? Ipv4Instead(string address)
    {
        BindingAddress parsed;
        try
        {
            parsed = BindingAddress.Parse(address);
        }
        catch (FormatException)
        {
            return null;
        }

        return parsed.Host.StartsWith('[') && IPAddress.TryParse(parsed.Host.Trim('[', ']'), out var ip) && ip.IsIPv4MappedToIPv6
            ? $"{parsed.Scheme}://{ip.MapToIPv4()}:{parsed.Port}{parsed.PathBase}"
            : null;
    }

    private static void AddPorts(string? ports, string scheme, List<string> addresses)
    {
        if (string.IsNullOrEmpty(ports))
        {
            return;
        }

        foreach (var port in ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            addresses.Add($"{scheme}://*:{port}");
        }
    }
}
