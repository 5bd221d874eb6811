namespace Motadata.Cache.Tests.Contract;

public abstract partial class CacheContractTests
{
    /// <summary>
    /// Keys whose UTF-8 forms differ in length from their UTF-16 forms, or share bytes: é (C3 A9), ë (C3 AB) and
    /// Ã (C3 83) share a lead byte; 中 is three bytes; 😀 is four bytes and two UTF-16 characters.
    /// </summary>
    public static readonly string[] Utf8InvalidationKeys =
    [
        "café", "cafe", "caf", "cafés", "cafë", "cafÃ", "naïve", "中文", "中", "😀", "a😀b", "ab", "aéb",
    ];

    [Theory]
    [InlineData("caf?", "cafe")]
    [InlineData("caf??", "café|cafë|cafÃ")]
    [InlineData("caf*", "café|cafe|caf|cafés|cafë|cafÃ")]
    [InlineData("caf[^e]?", "café|cafë|cafÃ")]
    [InlineData("caf[^e]", "")]
    [InlineData("café", "café")]
    [InlineData("caf\\é", "café")]
    [InlineData("caf[é]?", "café|cafë|cafÃ")]
    [InlineData("caf[é][é]", "café")]
    [InlineData("caf?[é-ë]", "café|cafë")]
    [InlineData("?", "")]
    [InlineData("???", "caf|中")]
    [InlineData("????", "cafe|😀|aéb")]
    [InlineData("a??b", "aéb")]
    [InlineData("a????b", "a😀b")]
    [InlineData("*b", "a😀b|ab|aéb")]
    [InlineData("[中]*", "中文|中")]
    [InlineData("na?ve", "")]
    [InlineData("na??ve", "naïve")]
    public async Task WhenPatternMeetsNonAsciiKeysItMatchesTheirUtf8BytesAsRedisDoes(string pattern, string expected)
    {
        // Redis's SCAN MATCH compares bytes, so '?' is one byte and a class holds bytes: the memory backend must agree.
        var cache = CreateCache();
        var removed = expected.Length == 0 ? [] : expected.Split('|');
        foreach (var key in Utf8InvalidationKeys)
        {
            cache.Set(key, "global:" + key);
            cache.Set(key, "t1:" + key, tenantId: "t1");
            cache.Set(key, "tenañt:" + key, tenantId: "tenañt");
        }

        Assert.Equal(removed.Length, cache.Invalidate(pattern, "t1"));
        Assert.Equal(removed.Length, await cache.InvalidateAsync(pattern, "tenañt"));

        foreach (var key in Utf8InvalidationKeys)
        {
            var shouldBeGone = removed.Contains(key);
            Assert.Equal(!shouldBeGone, cache.TryGet<string>(key, out _, "t1"));
            Assert.Equal(!shouldBeGone, cache.TryGet<string>(key, out _, "tenañt"));
            Assert.Equal("global:" + key, cache.Get<string>(key));
        }

        Assert.Equal(Utf8InvalidationKeys.Length - removed.Length, cache.GetStats("tenañt").Size);
    }
}
