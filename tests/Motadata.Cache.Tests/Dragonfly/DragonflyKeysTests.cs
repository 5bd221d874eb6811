using System.Globalization;
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
        var own = GlobPattern.Parse(DragonflyKeys.MatchPattern(Prefix, tenant.Get, everything));
        var global = GlobPattern.Parse(DragonflyKeys.MatchPattern(Prefix, null, everything));
        var clearOwn = GlobPattern.Parse(DragonflyKeys.ClearPattern(Prefix, tenant.Get));

        var ownKey = DragonflyKeys.NamespacePrefix(Prefix, tenant.Get) + key.Get;
        var otherKey = DragonflyKeys.NamespacePrefix(Prefix, otherTenant.Get) + key.Get;
        var globalKey = DragonflyKeys.NamespacePrefix(Prefix, null) + key.Get;
        var sameTenant = tenant.Get == otherTenant.Get;

        return own.IsMatch(ownKey) && clearOwn.IsMatch(ownKey)
            && own.IsMatch(otherKey) == sameTenant && clearOwn.IsMatch(otherKey) == sameTenant
            && !own.IsMatch(globalKey) && !global.IsMatch(ownKey) && global.IsMatch(globalKey);
    }

    [Theory]
    [InlineData("user_*", "user_1", true)]
    [InlineData("user_*", "order_1", false)]
    [InlineData("user_?", "user_12", false)]
    [InlineData("[ab]*", "b:c", true)]
    public void TheCallersGlobIsAppendedVerbatim(string pattern, string key, bool matches)
    {
        var glob = GlobPattern.Parse(DragonflyKeys.MatchPattern(Prefix, "t*[1]", GlobPattern.Parse(pattern)));

        Assert.Equal(matches, glob.IsMatch(DragonflyKeys.NamespacePrefix(Prefix, "t*[1]") + key));
        Assert.False(glob.IsMatch(DragonflyKeys.NamespacePrefix(Prefix, "tx[1]") + key));
    }

    [Theory]
    [InlineData("mc:")]
    [InlineData("app*[x]:")]
    public void ClearingEverythingReachesEveryNamespaceUnderThePrefixAndNothingElse(string prefix)
    {
        var glob = GlobPattern.Parse(DragonflyKeys.ClearPattern(prefix, null));

        Assert.True(glob.IsMatch(DragonflyKeys.NamespacePrefix(prefix, null) + "k"));
        Assert.True(glob.IsMatch(DragonflyKeys.NamespacePrefix(prefix, "t") + "k"));
        Assert.False(glob.IsMatch("other:" + prefix + "k"));
        Assert.False(glob.IsMatch(prefix.AsSpan(0, prefix.Length - 1)));
        Assert.False(glob.IsMatch(prefix[..^1] + "x:k"));
        Assert.False(glob.IsMatch(DragonflyKeys.NamespacePrefix(prefix + "reports:", null) + "k"));
        Assert.False(glob.IsMatch(DragonflyKeys.NamespacePrefix(prefix + "reports:", "t") + "k"));
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
