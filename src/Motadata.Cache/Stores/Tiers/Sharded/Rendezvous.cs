using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Motadata.Cache.Stores.Tiers.Sharded;

/// <summary>
/// Rendezvous (highest-random-weight) hashing: a (tenant, key) goes to the server whose seed gives it the highest
/// score <c>mix(hash(tenant, key) xor seed)</c>. Adding or removing a server moves only the keys that score highest
/// on it, and the order of the servers does not matter.
/// </summary>
internal static class Rendezvous
{
    /// <summary>A server's seed, from its name (<c>host:port</c>, case-insensitive).</summary>
    public static ulong Seed(string server) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(server.ToLowerInvariant().AsSpan()));

    /// <summary>The index in <paramref name="seeds"/> of the server that holds (<paramref name="tenantId"/>, <paramref name="key"/>).</summary>
    public static int Pick(ReadOnlySpan<ulong> seeds, string? tenantId, string key)
    {
        var tenantSeed = tenantId is null ? 0x9E3779B97F4A7C15UL : XxHash3.HashToUInt64(MemoryMarshal.AsBytes(tenantId.AsSpan()));
        var hash = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(key.AsSpan()), unchecked((long)tenantSeed));
        var best = 0;
        var bestScore = 0UL;
        for (var i = 0; i < seeds.Length; i++)
        {
            var score = Mix(hash ^ seeds[i]);
            if (i == 0 || score > bestScore)
            {
                best = i;
                bestScore = score;
            }
        }

        return best;
    }

    // The finalizer of SplitMix64: spreads the bits of (key hash xor server seed) so each server's scores are independent.
    private static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9UL;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EBUL;
        return value ^ (value >> 31);
    }
}
