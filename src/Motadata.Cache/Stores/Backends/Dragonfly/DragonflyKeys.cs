using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Motadata.Cache.Keys;
using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace Motadata.Cache.Stores.Backends.Dragonfly;

/// <summary>
/// Where a (tenant, key) pair lives on the server, by <see cref="TenantPlacement"/>:
/// <code>
/// Spread:    {KeyPrefix}t:&lt;tenant length&gt;:&lt;tenant&gt;:&lt;key&gt;      a tenant's key
///            {KeyPrefix}g:&lt;key&gt;                                the global namespace
/// CoLocated: {KeyPrefix}{t:&lt;tenant length&gt;:&lt;tenant&gt;}:&lt;key&gt;    a tenant's key
///            {KeyPrefix}{g}:&lt;key&gt;                              the global namespace
/// </code>
/// With <see cref="TenantPlacement.CoLocated"/> the braces are a Redis hash tag, so one tenant's keys share a slot
/// on a cluster; with <see cref="TenantPlacement.Spread"/> there is none, so the slot follows the caller's key. The
/// tenant's length (in UTF-16 characters) makes the mapping injective whatever characters tenant and key hold, and
/// the caller's key is verbatim at the end so operators can read it.
/// </summary>
/// <remarks>
/// Each namespace gets a key-prefixed <see cref="IDatabase"/> (StackExchange.Redis writes the prefix bytes and
/// then the caller's key string straight to the socket), so building a server key allocates nothing. The table of
/// tenants is bounded: past <see cref="MaxCachedNamespaces"/> a new prefix is built per call.
/// </remarks>
internal sealed class DragonflyKeys
{
    private const int MaxCachedNamespaces = 65_536;

    private readonly IDatabase _database;
    private readonly ConcurrentDictionary<string, Namespace> _tenants = new(StringComparer.Ordinal);
    private readonly Namespace _global;

    public DragonflyKeys(string keyPrefix, TenantPlacement placement, IDatabase database)
    {
        KeyPrefix = keyPrefix;
        Placement = placement;
        _database = database;
        _global = Create(null);
    }

    /// <summary>The key layout.</summary>
    public TenantPlacement Placement { get; }

    /// <summary>The database without any key prefix, for the rare command given a full server key (the local level's <c>PTTL</c>).</summary>
    public IDatabase Root => _database;

    /// <summary>What every key of this cache starts with.</summary>
    public string KeyPrefix { get; }

    /// <summary>The global namespace's database: keys given to it are caller keys.</summary>
    public IDatabase Global => _global.Database;

    /// <summary>The database whose keys are <paramref name="tenantId"/>'s caller keys.</summary>
    public IDatabase NamespaceDatabase(string? tenantId)
    {
        return Find(tenantId).Database;
    }

    /// <summary>The full server key without building a string: the namespace prefix's bytes and the caller's key.</summary>
    public RedisKey ServerRedisKey(string? tenantId, string key) =>
        ((RedisKey)key).Prepend(Find(tenantId).Prefix);

    /// <summary>The full server key, as a string (for tests, logs and the rare paths that need it).</summary>
    public string ServerKey(string? tenantId, string key) => NamespacePrefix(KeyPrefix, tenantId, Placement) + key;

    /// <summary>The keys of one namespace whose caller key matches <paramref name="pattern"/>.</summary>
    public ScanSelection Matching(string? tenantId, GlobPattern pattern) => ScanSelection.Matching(NamespacePrefix(KeyPrefix, tenantId, Placement), pattern);

    /// <summary>Every key of a tenant, or with no tenant every key this cache writes (what <c>Clear</c> and <c>GetStats</c> cover).</summary>
    public ScanSelection Owned(string? tenantId) =>
        tenantId is null ? ScanSelection.Everything(KeyPrefix, Placement) : ScanSelection.Namespace(NamespacePrefix(KeyPrefix, tenantId, Placement));

    /// <summary>
    /// True when <paramref name="afterPrefix"/> (a server key without the cache's key prefix) has exactly the shape
    /// this class writes for <paramref name="placement"/>: the global namespace then a key, or a tenant of N UTF-16
    /// characters then a key (<c>g:</c> / <c>t:</c>N<c>:</c>tenant<c>:</c> when spread, <c>{g}:</c> /
    /// <c>{t:</c>N<c>:</c>tenant<c>}:</c> when co-located), N written in decimal without leading zeros.
    /// </summary>
    public static bool IsNamespacedKey(ReadOnlySpan<byte> afterPrefix, TenantPlacement placement)
    {
        var coLocated = placement == TenantPlacement.CoLocated;
        if (afterPrefix.StartsWith(coLocated ? "{g}:"u8 : "g:"u8))
        {
            return true;
        }

        if (!afterPrefix.StartsWith(coLocated ? "{t:"u8 : "t:"u8))
        {
            return false;
        }

        var rest = afterPrefix[(coLocated ? 3 : 2)..];
        var digits = 0;
        var length = 0;
        while (digits < rest.Length && rest[digits] is >= (byte)'0' and <= (byte)'9' && digits < 4)
        {
            length = (length * 10) + (rest[digits] - '0');
            digits++;
        }

        if (digits == 0 || digits >= rest.Length || rest[digits] != ':' || rest[0] == '0' || length > CacheConfig.MaxTenantIdLength)
        {
            return false;
        }

        // The tenant: exactly `length` UTF-16 characters of well-formed UTF-8 (tenant ids are well-formed Unicode).
        var tenant = rest[(digits + 1)..];
        var offset = 0;
        var characters = 0;
        while (characters < length)
        {
            if (System.Text.Rune.DecodeFromUtf8(tenant[offset..], out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return false;
            }

            offset += consumed;
            characters += rune.Utf16SequenceLength;
        }

        return characters == length && tenant[offset..].StartsWith(coLocated ? "}:"u8 : ":"u8);
    }

    /// <summary>
    /// The namespace of <paramref name="afterPrefix"/> (a server key without the cache's key prefix) when it has the
    /// shape <see cref="IsNamespacedKey"/> accepts: true with <paramref name="tenantId"/> null for the global namespace
    /// or the tenant's id; false for a key this cache does not write.
    /// </summary>
    public static bool TryGetTenant(ReadOnlySpan<byte> afterPrefix, TenantPlacement placement, out string? tenantId)
    {
        tenantId = null;
        if (!IsNamespacedKey(afterPrefix, placement))
        {
            return false;
        }

        var coLocated = placement == TenantPlacement.CoLocated;
        if (afterPrefix.StartsWith(coLocated ? "{g}:"u8 : "g:"u8))
        {
            return true;
        }

        // t:N:tenant: (or {t:N:tenant}:), checked above: the tenant runs from after N's colon to its closing colon.
        var rest = afterPrefix[(coLocated ? 3 : 2)..];
        var colon = rest.IndexOf((byte)':');
        var length = 0;
        foreach (var digit in rest[..colon])
        {
            length = (length * 10) + (digit - '0');
        }

        var tenant = rest[(colon + 1)..];
        var offset = 0;
        var characters = 0;
        while (characters < length)
        {
            System.Text.Rune.DecodeFromUtf8(tenant[offset..], out var rune, out var consumed);
            offset += consumed;
            characters += rune.Utf16SequenceLength;
        }

        tenantId = Encoding.UTF8.GetString(tenant[..offset]);
        return true;
    }

    /// <summary>The part of a server key before the caller's key.</summary>
    public static string NamespacePrefix(string keyPrefix, string? tenantId, TenantPlacement placement) =>
        (tenantId, placement) switch
        {
            (null, TenantPlacement.CoLocated) => keyPrefix + "{g}:",
            (null, _) => keyPrefix + "g:",
            (_, TenantPlacement.CoLocated) => string.Create(CultureInfo.InvariantCulture, $"{keyPrefix}{{t:{tenantId.Length}:{tenantId}}}:"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{keyPrefix}t:{tenantId.Length}:{tenantId}:"),
        };

    private Namespace Find(string? tenantId)
    {
        if (tenantId is null)
        {
            return _global;
        }

        if (_tenants.TryGetValue(tenantId, out var known))
        {
            return known;
        }

        var created = Create(tenantId);
        return _tenants.Count < MaxCachedNamespaces ? _tenants.GetOrAdd(tenantId, created) : created;
    }

    private Namespace Create(string? tenantId)
    {
        var prefix = Encoding.UTF8.GetBytes(NamespacePrefix(KeyPrefix, tenantId, Placement));
        return new Namespace(_database.WithKeyPrefix(prefix), prefix);
    }

    /// <summary>One namespace: its key-prefixed database and the prefix's bytes.</summary>
    private sealed record Namespace(IDatabase Database, byte[] Prefix);
}
