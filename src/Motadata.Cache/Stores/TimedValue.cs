namespace Motadata.Cache.Stores;

/// <summary>
/// A value read together with how long the store keeps it (<see cref="ICacheStore.ReadWithTtlAsync{T}"/>).
/// </summary>
/// <param name="Value">The value (a cached null is a value too).</param>
/// <param name="Ttl">
/// Its remaining time to live as the store answered it: <see cref="Timeout.InfiniteTimeSpan"/> for no expiry, null
/// when the store cannot tell (then a caller must not keep a copy on the strength of it).
/// </param>
internal readonly record struct TimedValue<T>(T? Value, TimeSpan? Ttl);
