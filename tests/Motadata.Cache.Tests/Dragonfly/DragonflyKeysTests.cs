using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Xunit;
using Motadata.Cache.Keys;
using Motadata.Cache.Stores.Backends.Dragonfly;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// The server key layout: readable, injective for any tenant and key characters, and with SCAN patterns that reach
/// exactly one namespace. Patterns are checked with <see cref="GlobPattern"/>, which matches as Redis does.
/// </summary>
public sealed class DragonflyKeysTests
{
    private const string Prefix = "mc:";

    private static readonly TenantPlacement[] s_placements = [TenantPlacement.Spread, TenantPlacement.CoLocated];

    [Theory]
    [InlineData(null, "user_42", TenantPlacement.CoLocated, "mc:{g}:user_42")]
    [InlineData("tenant_123", "user_42", TenantPlacement.CoLocated, "mc:{t:10:tenant_123}:user_42")]
    [InlineData("a:b", "c", TenantPlacement.CoLocated, "mc:{t:3:a:b}:c")]
    [InlineData("a", "b:c", TenantPlacement.CoLocated, "mc:{t:1:a}:b:c")]
    [InlineData("{t}", "*", TenantPlacement.CoLocated, "mc:{t:3:{t}}:*")]
    [InlineData(null, "user_42", TenantPlacement.Spread, "mc:g:user_42")]
    [InlineData("tenant_123", "user_42", TenantPlacement.Spread, "mc:t:10:tenant_123:user_42")]
    [InlineData("a:b", "c", TenantPlacement.Spread, "mc:t:3:a:b:c")]
    [InlineData("a", "b:c", TenantPlacement.Spread, "mc:t:1:a:b:c")]
    [InlineData("{t}", "*", TenantPlacement.Spread, "mc:t:3:{t}:*")]
    public void TheServerKeyIsThePrefixTheNamespaceAndTheKeyVerbatim(string? tenant, string key, TenantPlacement placement, string expected)
    {
        Assert.Equal(expected, DragonflyKeys.NamespacePrefix(Prefix, tenant, placement) + key);
    }

    [Property(MaxTest = 500)]
    public bool EveryServerKeyDecodesBackToItsTenantAndKey(string? tenant, NonEmptyString key)
    {
        tenant = string.IsNullOrEmpty(tenant) ? null : tenant;
        return s_placements.All(placement =>
        {
            var serverKey = DragonflyKeys.NamespacePrefix(Prefix, tenant, placement) + key.Get;
            var (decodedTenant, decodedKey) = Decode(serverKey, placement);
            return decodedTenant == tenant && decodedKey == key.Get;
        });
    }

    [Property(MaxTest = 500)]
    public bool AMatchAllPatternReachesOnlyItsOwnNamespace(NonEmptyString tenant, NonEmptyString otherTenant, NonEmptyString key) =>
        s_placements.All(placement => MatchAllReachesOnlyItsOwnNamespace(tenant, otherTenant, key, placement));

    private static bool MatchAllReachesOnlyItsOwnNamespace(NonEmptyString tenant, NonEmptyString otherTenant, NonEmptyString key, TenantPlacement placement)
    {
        var everything = GlobPattern.Parse("*");
        var own = ScanSelection.Matching(DragonflyKeys.NamespacePrefix(Prefix, tenant.Get, placement), everything);
        var global = ScanSelection.Matching(DragonflyKeys.NamespacePrefix(Prefix, null, placement), everything);
        var clearOwn = ScanSelection.Namespace(DragonflyKeys.NamespacePrefix(Prefix, tenant.Get, placement));

        var ownKey = DragonflyKeys.NamespacePrefix(Prefix, tenant.Get, placement) + key.Get;
        var otherKey = DragonflyKeys.NamespacePrefix(Prefix, otherTenant.Get, placement) + key.Get;
        var globalKey = DragonflyKeys.NamespacePrefix(Prefix, null, placement) + key.Get;
        var sameTenant = tenant.Get == otherTenant.Get;

        return Takes(own, ownKey) && Takes(clearOwn, ownKey)
            && Takes(own, otherKey) == sameTenant && Takes(clearOwn, otherKey) == sameTenant
            && !Takes(own, globalKey) && !Takes(global, ownKey) && Takes(global, globalKey);
    }

    [Theory]
    [InlineData("user_*", "user_1", true)]
    [InlineData("user_*", "order_1", false)]
    [InlineData("user_?", "user_12", false)]
    [InlineData("user_?", "user_1", true)]
    [InlineData("[ab]*", "b:c", true)]
    [InlineData("*_1", "user_1", true)]
    [InlineData("*_1", "user_2", false)]
    [InlineData("u\\*er*", "u*er1", true)]
    [InlineData("u\\*er*", "user1", false)]
    public void TheCallersGlobSelectsExactlyTheKeysItMatchesInTheTenant(string pattern, string key, bool matches)
    {
        var selection = ScanSelection.Matching(DragonflyKeys.NamespacePrefix(Prefix, "t*[1]", TenantPlacement.Spread), GlobPattern.Parse(pattern));

        Assert.Equal(matches, Takes(selection, DragonflyKeys.NamespacePrefix(Prefix, "t*[1]", TenantPlacement.Spread) + key));
        Assert.False(Takes(selection, DragonflyKeys.NamespacePrefix(Prefix, "tx[1]", TenantPlacement.Spread) + key));
    }

    [Theory]
    [InlineData("*" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "")]
    [InlineData("user_*_x?[ab]*", "user_")]
    [InlineData("us\\?er*", "us\\?er")]
    [InlineData("?ser", "")]
    [InlineData("plain", "plain")]
    public void TheServerIsSentOnlyTheLiteralPrefixAndOneStar(string pattern, string serverPrefix)
    {
        var selection = ScanSelection.Matching(DragonflyKeys.NamespacePrefix(Prefix, "t", TenantPlacement.Spread), GlobPattern.Parse(pattern));

        Assert.Equal(GlobPattern.Escape(DragonflyKeys.NamespacePrefix(Prefix, "t", TenantPlacement.Spread)) + serverPrefix + "*", Encoding.UTF8.GetString((byte[])selection.ServerPattern!));
    }

    [Theory]
    [InlineData("mc:", TenantPlacement.Spread)]
    [InlineData("app*[x]:", TenantPlacement.Spread)]
    [InlineData("mc:", TenantPlacement.CoLocated)]
    [InlineData("app*[x]:", TenantPlacement.CoLocated)]
    public void ClearingEverythingReachesEveryNamespaceUnderThePrefixAndNothingElse(string prefix, TenantPlacement placement)
    {
        var selection = ScanSelection.Everything(prefix, placement);
        var other = placement == TenantPlacement.Spread ? TenantPlacement.CoLocated : TenantPlacement.Spread;

        Assert.True(Takes(selection, DragonflyKeys.NamespacePrefix(prefix, null, placement) + "k"));
        Assert.True(Takes(selection, DragonflyKeys.NamespacePrefix(prefix, "t", placement) + "k"));
        Assert.True(Takes(selection, DragonflyKeys.NamespacePrefix(prefix, "a}:b{t:1:", placement) + "}:"));
        Assert.True(Takes(selection, DragonflyKeys.NamespacePrefix(prefix, new string('t', 256), placement) + "k"));
        Assert.True(Takes(selection, DragonflyKeys.NamespacePrefix(prefix, "中😀é", placement) + "k"));
        Assert.False(Takes(selection, "other:" + prefix + "k"));
        Assert.False(Takes(selection, prefix[..^1]));
        Assert.False(Takes(selection, DragonflyKeys.NamespacePrefix(prefix, "t", other) + "k"));
        Assert.False(Takes(selection, DragonflyKeys.NamespacePrefix(prefix, null, other) + "k"));
        Assert.False(Takes(selection, prefix[..^1] + "x:k"));
        Assert.False(Takes(selection, DragonflyKeys.NamespacePrefix(prefix + "reports:", null, placement) + "k"));
        Assert.False(Takes(selection, DragonflyKeys.NamespacePrefix(prefix + "reports:", "t", placement) + "k"));
    }

    [Theory]
    [InlineData("{tomato}")]
    [InlineData("{t:x}")]
    [InlineData("{tail}:x")]
    [InlineData("{glob}")]
    [InlineData("{g}")]
    [InlineData("{g}x")]
    [InlineData("{t:1:ab}:k")]
    [InlineData("{t:2:a}:k")]
    [InlineData("{t:01:a}:k")]
    [InlineData("{t:1:a}")]
    [InlineData("{t:1:a}x")]
    [InlineData("{t::a}:k")]
    [InlineData("{t:257:" + "x}:k")]
    [InlineData("{t:99999:a}:k")]
    public void ClearingEverythingLeavesKeysOfOtherShapesUnderThePrefixAlone(string rest)
    {
        Assert.False(Takes(ScanSelection.Everything("mc:", TenantPlacement.CoLocated), "mc:" + rest));
    }

    [Theory]
    [InlineData("tomato")]
    [InlineData("t:x")]
    [InlineData("tail:x")]
    [InlineData("g")]
    [InlineData("gx:k")]
    [InlineData("t:1:ab")]
    [InlineData("t:01:a:k")]
    [InlineData("t:2:a")]
    [InlineData("t:1:a")]
    [InlineData("t::a:k")]
    [InlineData("t:257:" + "x:k")]
    [InlineData("t:99999:a:k")]
    [InlineData("{t:1:a}:k")]
    [InlineData("{g}:k")]
    public void ClearingEverythingLeavesKeysOfOtherShapesUnderThePrefixAloneWhenSpread(string rest)
    {
        Assert.False(Takes(ScanSelection.Everything("mc:", TenantPlacement.Spread), "mc:" + rest));
    }

    /// <summary>True when the server's MATCH would return <paramref name="serverKey"/> and the client then takes it.</summary>
    private static bool Takes(ScanSelection selection, string serverKey)
    {
        var onServer = GlobPattern.Parse(Encoding.UTF8.GetString((byte[])selection.ServerPattern!)).IsMatch(serverKey);
        return onServer && selection.Selects(Encoding.UTF8.GetBytes(serverKey));
    }

    /// <summary>Reads a server key back, as an operator (or a tool) would: proof that no two pairs share one.</summary>
    private static (string? Tenant, string Key) Decode(string serverKey, TenantPlacement placement)
    {
        var (open, close) = placement == TenantPlacement.CoLocated ? ("{", "}") : (string.Empty, string.Empty);
        Assert.StartsWith(Prefix, serverKey, StringComparison.Ordinal);
        var rest = serverKey[Prefix.Length..];
        if (rest.StartsWith(open + "g" + close + ":", StringComparison.Ordinal))
        {
            return (null, rest[(open.Length + close.Length + 2)..]);
        }

        Assert.StartsWith(open + "t:", rest, StringComparison.Ordinal);
        var start = open.Length + 2;
        var colon = rest.IndexOf(':', start);
        var length = int.Parse(rest.AsSpan(start, colon - start), NumberStyles.None, CultureInfo.InvariantCulture);
        var tenant = rest.Substring(colon + 1, length);
        Assert.Equal(close + ":", rest.Substring(colon + 1 + length, close.Length + 1));
        return (tenant, rest[(colon + 2 + close.Length + length)..]);
    }
}
