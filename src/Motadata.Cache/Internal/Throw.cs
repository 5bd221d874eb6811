using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Motadata.Cache.Internal;

/// <summary>
/// Throw sites kept out of line so the hot paths that call them stay small enough to inline.
/// </summary>
internal static class Throw
{
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void KeyNull(string paramName) =>
        throw new ArgumentNullException(paramName, "A cache key is required; null is not a key.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void KeyEmpty(string paramName) =>
        throw new ArgumentException("A cache key must not be empty; use a non-empty string.", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void KeyTooLong(string paramName, int length, int max) =>
        throw new ArgumentException(
            $"The cache key is {length} characters long; at most {max} are allowed (CacheConfig.MaxKeyLength).", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void KeyNotWellFormed(string paramName) =>
        throw new ArgumentException(
            "The cache key is not well-formed Unicode: it holds a lone surrogate (half of a UTF-16 pair), which has no UTF-8 form. Use a key of whole characters.", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void TenantNotWellFormed(string paramName) =>
        throw new ArgumentException(
            "The tenant id is not well-formed Unicode: it holds a lone surrogate (half of a UTF-16 pair), which has no UTF-8 form. Use a tenant id of whole characters.", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void TenantEmpty(string paramName) =>
        throw new ArgumentException(
            "A tenant id must not be empty; pass null for the global namespace or a non-empty tenant id.", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void TenantTooLong(string paramName, int length, int max) =>
        throw new ArgumentException(
            $"The tenant id is {length} characters long; at most {max} are allowed.", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void TtlOutOfRange(string paramName, TimeSpan ttl) =>
        throw new ArgumentOutOfRangeException(
            paramName, ttl,
            $"The TTL {ttl} is not allowed: use a positive TimeSpan, Timeout.InfiniteTimeSpan for no expiry, or null for the configured default.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void PatternNull(string paramName) =>
        throw new ArgumentNullException(paramName, "An invalidation pattern is required, such as \"user_*\"; use \"*\" for every key.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void PatternEmpty(string paramName) =>
        throw new ArgumentException("An invalidation pattern must not be empty; use \"*\" for every key.", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void PatternTooLong(string paramName, int length, int max) =>
        throw new ArgumentException(
            $"The pattern is {length} characters long; at most {max} are allowed (CacheConfig.MaxKeyLength).", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void Disposed() =>
        throw new ObjectDisposedException(nameof(CacheMechanism), "This CacheMechanism has been disposed; create a new one.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ArgumentNull(string paramName) => throw new ArgumentNullException(paramName);
}
