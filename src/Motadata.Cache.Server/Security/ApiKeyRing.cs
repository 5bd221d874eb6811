using System.Buffers;
using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Motadata.Cache.Server.Configuration;

namespace Motadata.Cache.Server.Security;

/// <summary>
/// The configured API keys, held only as SHA-256 hashes. A presented key is hashed and compared with every stored
/// hash in constant time, so neither the comparison nor the position of a match leaks through timing.
/// </summary>
internal sealed class ApiKeyRing
{
    private const int StackLimit = 256;
    private readonly ApiKeyGrant[] _grants;

    /// <summary>Builds the ring from validated options.</summary>
    /// <param name="keys">The <c>Service:ApiKeys</c> entries.</param>
    public ApiKeyRing(IReadOnlyList<ApiKeyOptions> keys)
    {
        _grants = new ApiKeyGrant[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            var hash = key.KeySha256 is { Length: > 0 } hex
                ? Convert.FromHexString(hex)
                : SHA256.HashData(Encoding.UTF8.GetBytes(key.Key!));
            var tenants = key.Tenants.Contains("*") ? null : key.Tenants.ToFrozenSet(StringComparer.Ordinal);
            _grants[i] = new ApiKeyGrant(key.Name ?? $"key {i}", hash, tenants, key.Admin, key.Metrics || key.Admin);
        }
    }

    /// <summary>False when no key is configured: authentication is off and the service is loopback-only.</summary>
    public bool Enabled => _grants.Length > 0;

    /// <summary>Finds the grant of a presented key.</summary>
    /// <param name="presentedKey">The key from the <c>Authorization: Bearer</c> header.</param>
    /// <returns>The grant, or null for an unknown key.</returns>
    public ApiKeyGrant? Find(ReadOnlySpan<char> presentedKey)
    {
        var byteCount = Encoding.UTF8.GetMaxByteCount(presentedKey.Length);
        byte[]? rented = null;
        var buffer = byteCount <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(byteCount));
        try
        {
            var written = Encoding.UTF8.GetBytes(presentedKey, buffer);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer[..written], hash);

            // Compare against every key, without stopping at a match, so the time taken says nothing about which one matched.
            ApiKeyGrant? found = null;
            foreach (var grant in _grants)
            {
                if (CryptographicOperations.FixedTimeEquals(hash, grant.Hash))
                {
                    found ??= grant;
                }
            }

            return found;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
            else
            {
                CryptographicOperations.ZeroMemory(buffer);
            }
        }
    }
}
