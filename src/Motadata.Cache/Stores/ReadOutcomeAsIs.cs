using Motadata.Cache.Keys;

namespace Motadata.Cache.Stores;

/// <summary>The projection that leaves an outcome as it is (a plain <see cref="ICacheStore.ReadAsync{T}(CacheKey, CancellationToken)"/>).</summary>
internal readonly struct ReadOutcomeAsIs<T> : IReadProjection<T, ReadOutcome<T>>
{
    public ReadOutcome<T> Project(in ReadOutcome<T> outcome) => outcome;
}
