namespace Motadata.Cache.AI.Internal;

/// <summary>
/// An answer as the memory backend keeps it: the object itself and when it was cached (UTC ticks), so a request's
/// <c>s-maxage</c> can be checked. Immutable, shared by every hit.
/// </summary>
internal sealed class CachedAnswer<T>(long cachedAtUtcTicks, T value)
    where T : class
{
    public long CachedAtUtcTicks { get; } = cachedAtUtcTicks;

    public T Value { get; } = value;
}
