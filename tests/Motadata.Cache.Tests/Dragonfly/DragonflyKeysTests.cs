using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Xunit;
using Motadata.Cache.Keys;
using Motadata.Cache.Stores.Dragonfly;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// The server key layout: readable, injective for any tenant and key characters, and with SCAN patterns that reach
/// exactly one namespace. Patterns are checked with <see cref="GlobPattern"/>, which matches as Redis does.
/// </summary>
public sealed class DragonflyKeysTests
{
    private const string Prefix = "mc:";

    [Theory]
    [InlineData(null, "user_42", "mc:{g}:user_42")]
    [InlineData("tenant_123", "user_42", "mc:{t:10:tenant_123}:user_42")]
    [InlineData("a:b", "c", "mc:{t:3:a:b}:c")]
    [InlineData("a", "b:c", "mc:{t:1:a}:b:c")]
    [InlineData("{t}", "*", "mc:{t:3:{t}}:*")]
    public void TheServerKeyIsThePrefixTheNamespaceAndTheKeyVerbatim(string? tenant, string key, string expected)
    {
        Assert.Equal(expected, DragonflyKeys.NamespacePrefix(Prefix, tenant) + key);
    }

    [Property(MaxTest = 500)]
    public bool EveryServerKeyDecodesBackToItsTenantAndKey(string? tenant, NonEmptyString key)
    {
        tenant = string.IsNullOrEmpty(tenant) ? null : tenant;
        var serverKey = DragonflyKeys.NamespacePrefix(Prefix, tenant) + key.Get;

        var (decodedTenant, decodedKey) = Decode(serverKey);

        return decodedTenant == tenant && decodedKey == key.Get;
    }

    [Property(MaxTest = 500)]
    public bool AMatchAllPatternReachesOnlyItsOwnNamespace(NonEmptyString tenant, NonEmptyString otherTenant, NonEmptyString key)
    {
        var everything = GlobPattern.Parse("*");
        var own = ScanSelection.Matching(DragonflyKeys.NamespacePrefix(Prefix, tenant.Get), everything);
        var global = ScanSelection.Matching(DragonflyKeys.NamespacePrefix(Prefix, null), everything);
        var clearOwn = ScanSelection.Namespace(DragonflyKeys.NamespacePrefix(Prefix, tenant.Get));

        var ownKey = DragonflyKeys.NamespacePrefix(Prefix, tenant.Get) + key.Get;
        var otherKey = DragonflyKeys.NamespacePrefix(Prefix, otherTenant.Get) + key.Get;
        var globalKey = DragonflyKeys.NamespacePrefix(Prefix, null) + key.Get;
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
        var selection = ScanSelection.Matching(DragonflyKeys.NamespacePrefix(Prefix, "t*[1]"), GlobPattern.Parse(pattern));

        Assert.Equal(matches, Takes(selection, DragonflyKeys.NamespacePrefix(Prefix, "t*[1]") + key));
        Assert.False(Takes(selection, DragonflyKeys.NamespacePrefix(Prefix, "tx[1]") + key));
    }

    [Theory]
    [InlineData("*" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "")]
    [InlineData("user_*_x?[ab]*", "user_")]
    [InlineData("us\\?er*", "us\\?er")]
    [InlineData("?ser", "")]
    [InlineData("plain", "plain")]
    public void TheServerIsSentOnlyTheLiteralPrefixAndOneStar(string pattern, string serverPrefix)
    {
        var selection = ScanSelection.Matching(DragonflyKeys.NamespacePrefix(Prefix, "t"), GlobPattern.Parse(pattern));

        Assert.Equal(GlobPattern.Escape(DragonflyKeys.NamespacePrefix(Prefix, "t")) + serverPrefix + "*", Encoding.UTF8.GetString((byte[])selection.ServerPattern!));
    }

    [Theory]
    [InlineData("mc:")]
    [InlineData("app*[x]:")]
    public void ClearingEverythingReachesEveryNamespaceUnderThePrefixAndNothingElse(string prefix)
    {
        var selection = ScanSelection.Everything(prefix);

        Assert.True(Takes(selection, DragonflyKeys.NamespacePrefix(prefix, null) + "k"));
        Assert.True(Takes(selection, DragonflyKeys.NamespacePrefix(prefix, "t") + "k"));
        Assert.True(Takes(selection, DragonflyKeys.NamespacePrefix(prefix, "a}:b{t:1:") + "}:"));
        Assert.True(Takes(selection, DragonflyKeys.NamespacePrefix(prefix, new string('t', 256)) + "k"));
        Assert.True(Takes(selection, DragonflyKeys.NamespacePrefix(prefix, "中😀é") + "k"));
        Assert.False(Takes(selection, "other:" + prefix + "k"));
        Assert.False(Takes(selection, prefix[..^1]));
        Assert.False(Takes(selection, prefix[..^1] + "x:k"));
        Assert.False(Takes(selection, DragonflyKeys.NamespacePrefix(prefix + "reports:", null) + "k"));
        Assert.False(Takes(selection, DragonflyKeys.NamespacePrefix(prefix + "reports:", "t") + "k"));
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
        Assert.False(Takes(ScanSelection.Everything("mc:"), "mc:" + rest));
    }

    /// <summary>True when the server's MATCH would return <paramref name="serverKey"/> and the client then takes it.</summary>
    private static bool Takes(ScanSelection selection, string serverKey)
    {
        var onServer = GlobPattern.Parse(Encoding.UTF8.GetString((byte[])selection.ServerPattern!)).IsMatch(serverKey);
        return onServer && selection.Selects(Encoding.UTF8.GetBytes(serverKey));
    }

    /// <summary>Reads a server key back, as an operator (or a tool) would: proof that no two pairs share one.</summary>
    private static (string? Tenant, string Key) Decode(string serverKey)
    {
        Assert.StartsWith(Prefix, serverKey, StringComparison.Ordinal);
        var rest = serverKey[Prefix.Length..];
        if (rest.StartsWith("{g}:", StringComparison.Ordinal))
        {
            return (null, rest[4..]);
        }

        Assert.StartsWith("{t:", rest, StringComparison.Ordinal);
        var colon = rest.IndexOf(':', 3);
        var length = int.Parse(rest.AsSpan(3, colon - 3), NumberStyles.None, CultureInfo.InvariantCulture);
        var tenant = rest.Substring(colon + 1, length);
        Assert.Equal("}:", rest.Substring(colon + 1 + length, 2));
        return (tenant, rest[(colon + 3 + length)..]);
    }
}
