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
        await AssertInvalidationRemovesExactlyAsync(Utf8InvalidationKeys, pattern, expected, otherTenant: "tenañt");
    }
}
