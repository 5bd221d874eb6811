using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Motadata.Cache.Keys;
using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace Motadata.Cache.Stores.Dragonfly;

/// <summary>
/// Where a (tenant, key) pair lives on the server:
/// <code>
/// {KeyPrefix}{t:&lt;tenant length&gt;:&lt;tenant&gt;}:&lt;key&gt;    a tenant's key
/// {KeyPrefix}{g}:&lt;key&gt;                              the global namespace
/// </code>
/// The braces are literal: a Redis hash tag, so one tenant's keys share a slot. The tenant's length (in UTF-16
/// characters) makes the mapping injective whatever characters tenant and key hold, and the caller's key is
/// verbatim at the end so operators can read it.
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
    private readonly ConcurrentDictionary<string, IDatabase> _tenants = new(StringComparer.Ordinal);

    public DragonflyKeys(string keyPrefix, IDatabase database)
    {
        KeyPrefix = keyPrefix;
        _database = database;
        Global = database.WithKeyPrefix(Encoding.UTF8.GetBytes(NamespacePrefix(keyPrefix, null)));
    }

    /// <summary>What every key of this cache starts with.</summary>
    public string KeyPrefix { get; }

    /// <summary>The global namespace's database: keys given to it are caller keys.</summary>
    public IDatabase Global { get; }

    /// <summary>The database whose keys are <paramref name="tenantId"/>'s caller keys.</summary>
    public IDatabase For(string? tenantId)
    {
        if (tenantId is null)
        {
            return Global;
        }

        return _tenants.TryGetValue(tenantId, out var database) ? database : Add(tenantId);
    }

    /// <summary>The full server key, as a string (for tests, logs and the rare paths that need it).</summary>
    public string ServerKey(string? tenantId, string key) => NamespacePrefix(KeyPrefix, tenantId) + key;

    /// <summary>The <c>SCAN MATCH</c> pattern for <paramref name="pattern"/> inside one namespace: the namespace escaped, the caller's glob verbatim.</summary>
    public string MatchPattern(string? tenantId, GlobPattern pattern) => MatchPattern(KeyPrefix, tenantId, pattern);

    /// <summary>The <c>SCAN MATCH</c> pattern for every key of a tenant, or with no tenant every key under the prefix.</summary>
    public string ClearPattern(string? tenantId) => ClearPattern(KeyPrefix, tenantId);

    /// <inheritdoc cref="MatchPattern(string?, GlobPattern)"/>
    public static string MatchPattern(string keyPrefix, string? tenantId, GlobPattern pattern) =>
        GlobPattern.Escape(NamespacePrefix(keyPrefix, tenantId)) + pattern.Pattern;

    /// <inheritdoc cref="ClearPattern(string?)"/>
    /// <remarks>
    /// Every key of this cache continues its prefix with <c>{g}</c> or <c>{t:</c>, so "everything" matches only those:
    /// another cache whose prefix extends this one (<c>app:</c> and <c>app:reports:</c>) keeps its keys.
    /// </remarks>
    public static string ClearPattern(string keyPrefix, string? tenantId) =>
        tenantId is null
            ? GlobPattern.Escape(keyPrefix) + "{[gt]*"
            : GlobPattern.Escape(NamespacePrefix(keyPrefix, tenantId)) + "*";

    /// <summary>The part of a server key before the caller's key.</summary>
    public static string NamespacePrefix(string keyPrefix, string? tenantId) =>
        tenantId is null
            ? keyPrefix + "{g}:"
            : string.Create(CultureInfo.InvariantCulture, $"{keyPrefix}{{t:{tenantId.Length}:{tenantId}}}:");

    private IDatabase Add(string tenantId)
    {
        var database = _database.WithKeyPrefix(Encoding.UTF8.GetBytes(NamespacePrefix(KeyPrefix, tenantId)));
        return _tenants.Count < MaxCachedNamespaces ? _tenants.GetOrAdd(tenantId, database) : database;
    }
}
