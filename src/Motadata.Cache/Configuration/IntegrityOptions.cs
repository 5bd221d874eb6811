namespace Motadata.Cache;

/// <summary>
/// Signs every value written to a remote backend with HMAC-SHA256 (<see cref="CacheConfig.Integrity"/>; null signs
/// nothing): values this application did not sign are then treated as corrupt. Signing is the stronger form of
/// <see cref="CacheConfig.EnableValidation"/>, so the two are one choice: no validation, a checksum
/// (<see cref="CacheConfig.EnableValidation"/> alone), or a checksum and a signature (both). A signing key with
/// validation off is refused.
/// </summary>
public sealed class IntegrityOptions
{
    /// <summary>The signing key, 16 random bytes or more; in configuration, base64.</summary>
    /// <value>Default null (refused: a signing group needs its key).</value>
#pragma warning disable CA1819 // A key is bytes; the cache copies it at construction.
    public byte[]? SigningKey { get; set; }
#pragma warning restore CA1819

    /// <summary>A copy of these settings, key included.</summary>
    /// <returns>The copy.</returns>
    public IntegrityOptions Clone() => new() { SigningKey = SigningKey?.ToArray() };
}
