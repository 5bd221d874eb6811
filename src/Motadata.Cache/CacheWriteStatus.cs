namespace Motadata.Cache;

/// <summary>
/// What became of a write (<see cref="CacheMechanism.SetWithStatus{T}"/>): stored, refused because the value is too
/// large, or not stored because the backend could not be reached. Lets a caller tell its own mistake from an outage
/// without knowing the backend (the REST service answers 413 for the first and 503 for the second).
/// </summary>
public enum CacheWriteStatus
{
    /// <summary>The value is stored.</summary>
    Stored,

    /// <summary>
    /// The value is larger than <see cref="CacheConfig.MaxValueBytes"/> once encoded (remote backends) or than the
    /// memory bound (memory backend): it was refused, counted in <see cref="CacheStats.RejectedValues"/> where the
    /// backend counts refusals, and nothing changed.
    /// </summary>
    TooLarge,

    /// <summary>
    /// The backend could not be reached and recovery is on: the value is not stored, and the key was journaled for
    /// removal so that no older value is served once the server is back (see docs/reliability.md).
    /// </summary>
    Unavailable,
}
