using System.Runtime.CompilerServices;
using System.Text;

namespace Motadata.Cache.Internal;

/// <summary>
/// Checks that keys and tenant ids are well-formed UTF-16. A lone surrogate has no UTF-8 form: on the wire it becomes
/// U+FFFD, so <c>"a\uD800"</c> and <c>"a\uFFFD"</c> would be one key on Dragonfly but two in memory, and two such
/// tenants one namespace. Refusing them keeps every (tenant, key) pair distinct on every backend.
/// </summary>
internal static class Utf16Text
{
    /// <summary>True when <paramref name="text"/> holds no lone surrogate (one vectorized ASCII scan for the common case).</summary>
    /// <remarks>
    /// <see cref="Ascii.IsValid(ReadOnlySpan{char})"/> rather than the generic <c>IndexOfAnyInRange</c>: the generic
    /// one allocates until the JIT has optimized its caller, which a cache's first calls would pay for.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsWellFormed(string text) => Ascii.IsValid(text) || SurrogatesArePaired(text);

    private static bool SurrogatesArePaired(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}
