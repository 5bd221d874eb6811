using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using StackExchange.Redis;

namespace Motadata.Cache.Configuration;

/// <summary>
/// A parsed <see cref="CacheConfig.DragonflyUrl"/>: <c>dragonfly://[user:password@]host[:port][,host[:port]...][/db]</c>,
/// <c>dragonflys://</c> for TLS, <c>redis://</c> and <c>rediss://</c> as synonyms. The password is never part of
/// <see cref="ToString"/>.
/// </summary>
internal sealed class DragonflyEndpoint
{
    public const int DefaultPort = 6379;

    private static readonly HashSet<string> s_subscribeCommands =
        new(["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"], StringComparer.OrdinalIgnoreCase);

    private DragonflyEndpoint(IReadOnlyList<(string Host, int Port)> hosts, string? user, string? password, int database, bool useTls)
    {
        Hosts = hosts;
        User = user;
        Password = password;
        Database = database;
        UseTls = useTls;
    }

    public IReadOnlyList<(string Host, int Port)> Hosts { get; }

    public string? User { get; }

    public string? Password { get; }

    public int Database { get; }

    public bool UseTls { get; }

    /// <summary>The endpoints as <c>host:port,host:port</c>, for messages.</summary>
    /// <summary>The same credentials, database and TLS, for the one host at <paramref name="index"/> (a shard of its own).</summary>
    public DragonflyEndpoint ForHost(int index) => new([Hosts[index]], User, Password, Database, UseTls);

    public string Describe() => string.Join(",", Hosts.Select(static h => FormatHost(h.Host, h.Port)));

    public override string ToString() => (UseTls ? "dragonflys://" : "dragonfly://") + Describe() + (Database != 0 ? "/" + Database.ToString(CultureInfo.InvariantCulture) : string.Empty);

    /// <summary>
    /// The StackExchange.Redis settings for this endpoint. The client connects in the background when the server is
    /// down at construction (<c>AbortOnConnectFail = false</c>), fails calls at once while disconnected instead of
    /// queueing them (a cache should never make its callers wait on a dead server), and sends nothing beyond the
    /// plain handshake: no <c>CLIENT SETINFO</c>, no tie-breaker key (it lives outside our prefix), no pub/sub channel.
    /// Its exception messages name no keys and carry no counters (<c>IncludeDetailInExceptions = false</c>).
    /// </summary>
    public ConfigurationOptions ToConfigurationOptions(TimeSpan connectTimeout, TimeSpan operationTimeout, bool dedicatedIOThreads = false)
    {
        var options = new ConfigurationOptions
        {
            User = User,
            Password = Password,
            Ssl = UseTls,
            DefaultDatabase = Database,
            ConnectTimeout = ToMilliseconds(connectTimeout),
            SyncTimeout = ToMilliseconds(operationTimeout),
            AsyncTimeout = ToMilliseconds(operationTimeout),
            AbortOnConnectFail = false,
            ConnectRetry = 1,
            BacklogPolicy = BacklogPolicy.FailFast,
            ReconnectRetryPolicy = new ExponentialRetry(250, 5_000),
            SetClientLibrary = false,
            ClientName = "Motadata.Cache",
            TieBreaker = string.Empty,
            ConfigurationChannel = string.Empty,

            // A timeout's text would otherwise list the commands queued beside the failed one, keys of other tenants
            // included, and the client's counters: the cache's callers (a service's clients) must never see either.
            IncludeDetailInExceptions = false,
            IncludePerformanceCountersInExceptions = false,

            // The cache never subscribes; without these commands the client opens no second (pub/sub) connection.
            CommandMap = CommandMap.Create(s_subscribeCommands, available: false),

            // Replies are read on the .NET thread pool unless asked otherwise (CacheConfig.DedicatedIOThreads): the
            // thread that reads a reply then also runs what it completes, without a hand-over between thread pools.
            SocketManager = dedicatedIOThreads ? SocketManager.Shared : SocketManager.ThreadPool,
        };
        foreach (var (host, port) in Hosts)
        {
            options.EndPoints.Add(host, port);
        }

        return options;

        static int ToMilliseconds(TimeSpan span) => (int)Math.Clamp(Math.Ceiling(span.TotalMilliseconds), 1, int.MaxValue);
    }

    public static DragonflyEndpoint Parse(string url) =>
        TryParse(url, out var endpoint, out var error) ? endpoint : throw new ArgumentException(error, nameof(url));

    public static bool TryParse(string? url, [NotNullWhen(true)] out DragonflyEndpoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(url))
        {
            error = "DragonflyUrl is empty; use a URL such as \"dragonfly://localhost:6379\".";
            return false;
        }

        var masked = Mask(url);
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            error = $"DragonflyUrl \"{masked}\" has no scheme; it must start with dragonfly://, dragonflys://, redis:// or rediss://.";
            return false;
        }

        var scheme = url[..schemeEnd].ToLowerInvariant();
        bool useTls;
        switch (scheme)
        {
            case "dragonfly":
            case "redis":
                useTls = false;
                break;
            case "dragonflys":
            case "rediss":
                useTls = true;
                break;
            default:
                error = $"DragonflyUrl \"{masked}\" has the unknown scheme \"{scheme}\"; use dragonfly://, dragonflys:// (TLS), redis:// or rediss:// (TLS).";
                return false;
        }

        var rest = url[(schemeEnd + 3)..];

        // The user info runs to the last '@' of the URL: a password may hold '/', '?', '#' or '@' unescaped, and no
        // host, port or database can hold an '@'.
        string? user = null, password = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0)
            {
                user = Uri.UnescapeDataString(userInfo[..colon]);
                password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            }
            else
            {
                // redis://secret@host is the password alone, as redis-cli reads it.
                password = Uri.UnescapeDataString(userInfo);
            }

            if (user is { Length: 0 })
            {
                user = null;
            }
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash >= 0 ? rest[..slash] : rest;
        var path = slash >= 0 ? rest[(slash + 1)..] : string.Empty;

        if (authority.Length == 0)
        {
            error = $"DragonflyUrl \"{masked}\" names no host; use a URL such as \"dragonfly://localhost:6379\".";
            return false;
        }

        var hosts = new List<(string, int)>();
        foreach (var part in authority.Split(','))
        {
            if (!TryParseHost(part.Trim(), out var host, out var port))
            {
                error = $"DragonflyUrl \"{masked}\" has the bad endpoint \"{part}\"; each endpoint is host or host:port with a port from 1 to 65535.";
                return false;
            }

            hosts.Add((host, port));
        }

        var database = 0;
        path = path.Split('?')[0];
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 15_999))
        {
            error = $"DragonflyUrl \"{masked}\" has the bad database \"{path}\"; after the host, /N selects database N (a whole number from 0).";
            return false;
        }

        endpoint = new DragonflyEndpoint(hosts, user, password, database, useTls);
        error = null;
        return true;
    }

    /// <summary>The URL with any password replaced by <c>***</c>, safe for logs and messages.</summary>
    [return: NotNullIfNotNull(nameof(url))]
    public static string? Mask(string? url)
    {
        if (url is null)
        {
            return null;
        }

        // As in TryParse, the user info runs to the last '@', so a password holding '/' or '@' is masked whole.
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var start = schemeEnd >= 0 ? schemeEnd + 3 : 0;
        var at = url.LastIndexOf('@');
        if (at < start)
        {
            return url;
        }

        var userInfo = url[start..at];
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        var maskedUserInfo = colon >= 0 ? userInfo[..(colon + 1)] + "***" : "***";
        return url[..start] + maskedUserInfo + url[at..];
    }

    private static bool TryParseHost(string text, out string host, out int port)
    {
        host = string.Empty;
        port = DefaultPort;
        if (text.Length == 0)
        {
            return false;
        }

        string portText;
        bool hasPort;
        if (text[0] == '[')
        {
            // [IPv6]:port
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = text[1..close];
            portText = text[(close + 1)..];
            if (portText.Length > 0 && portText[0] != ':')
            {
                return false;
            }

            hasPort = portText.Length > 0;
            portText = hasPort ? portText[1..] : string.Empty;
        }
        else
        {
            var colon = text.LastIndexOf(':');
            hasPort = colon >= 0;
            host = hasPort ? text[..colon] : text;
            portText = hasPort ? text[(colon + 1)..] : string.Empty;
        }

        if (host.Length == 0 || host.AsSpan().IndexOfAny(" /@?#") >= 0)
        {
            return false;
        }

        // "host:" with nothing after the colon is a typo, not the default port.
        if (hasPort
            && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            return false;
        }

        return true;
    }

    private static string FormatHost(string host, int port) =>
        (host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);
}
