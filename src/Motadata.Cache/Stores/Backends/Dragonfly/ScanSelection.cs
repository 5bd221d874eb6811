using System.Text;
using Motadata.Cache.Keys;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Backends.Dragonfly;

/// <summary>
/// Which keys one <c>SCAN</c> walk removes or counts: the <c>MATCH</c> pattern sent to the server, chosen so that
/// testing a key costs the server one prefix comparison (escaped literal bytes and one final star), and the exact
/// test this client then applies to each key the server returns. Redis matches globs by backtracking (pattern length
/// x key length per key, on the thread every tenant shares); a caller's pattern is therefore never sent as it is, and
/// its wildcards are matched here, in time linear in the key (<see cref="GlobPattern"/>).
/// </summary>
internal sealed class ScanSelection
{
    private readonly GlobPattern? _rest;
    private readonly int _namespaceBytes;
    private readonly byte[]? _ownKeysUnder;
    private readonly TenantPlacement _placement;

    private ScanSelection(RedisValue serverPattern, GlobPattern? rest, int namespaceBytes, byte[]? ownKeysUnder, TenantPlacement placement = default)
    {
        _placement = placement;
        ServerPattern = serverPattern;
        _rest = rest;
        _namespaceBytes = namespaceBytes;
        _ownKeysUnder = ownKeysUnder;
    }

    /// <summary>The <c>SCAN MATCH</c> argument: a literal prefix and one star, as bytes.</summary>
    public RedisValue ServerPattern { get; }

    /// <summary>True when every key the server returns is selected, so keys need no test here.</summary>
    public bool SelectsEveryMatch => _rest is null && _ownKeysUnder is null;

    /// <summary>The keys of one namespace whose caller key matches <paramref name="pattern"/>.</summary>
    public static ScanSelection Matching(string namespacePrefix, GlobPattern pattern)
    {
        var escaped = Encoding.UTF8.GetBytes(GlobPattern.Escape(namespacePrefix));
        var rest = pattern.ServerPrefixPattern();
        var serverPattern = new byte[escaped.Length + rest.Length];
        escaped.CopyTo(serverPattern, 0);
        rest.CopyTo(serverPattern, escaped.Length);

        // "prefix*" is matched in full by the server's prefix comparison.
        var exactOnServer = pattern.IsMatchAll || pattern.IsPrefixThenStar;
        return new ScanSelection(serverPattern, exactOnServer ? null : pattern, Encoding.UTF8.GetByteCount(namespacePrefix), null);
    }

    /// <summary>Every key of one namespace (its prefix holds the tenant's length, so no other namespace starts with it).</summary>
    public static ScanSelection Namespace(string namespacePrefix) =>
        new(Encoding.UTF8.GetBytes(GlobPattern.Escape(namespacePrefix) + "*"), null, 0, null);

    /// <summary>
    /// Every key this cache writes under <paramref name="keyPrefix"/>, and nothing else: the server narrows to the
    /// global and tenant namespaces of the layout (<c>{prefix}[gt]:</c> spread, <c>{prefix}{[gt]</c> co-located), and
    /// each key is then checked to have exactly the shape <see cref="DragonflyKeys"/> writes, so another program's
    /// <c>mc:{tomato}</c>, <c>mc:t:x</c> or <c>mc:{t:x}</c> is left alone.
    /// </summary>
    public static ScanSelection Everything(string keyPrefix, TenantPlacement placement)
    {
        var prefix = Encoding.UTF8.GetBytes(keyPrefix);
        var namespaces = placement == TenantPlacement.CoLocated ? "{[gt]*" : "[gt]:*";
        return new(Encoding.UTF8.GetBytes(GlobPattern.Escape(keyPrefix) + namespaces), null, 0, prefix, placement);
    }

    /// <summary>True when <paramref name="serverKey"/>, one key the server returned for <see cref="ServerPattern"/>, is selected.</summary>
    public bool Selects(ReadOnlySpan<byte> serverKey)
    {
        if (_ownKeysUnder is { } prefix)
        {
            return serverKey.StartsWith(prefix) && DragonflyKeys.IsNamespacedKey(serverKey[prefix.Length..], _placement);
        }

        return _rest is null || (serverKey.Length >= _namespaceBytes && _rest.IsMatch(serverKey[_namespaceBytes..]));
    }
}
