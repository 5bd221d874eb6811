namespace Motadata.Cache.Stores;

/// <summary>
/// What the caller of <see cref="ICacheStore.ReadAsync{T, TResult, TProjection}"/> makes of a read's outcome, applied
/// by the store that completes the read, in the continuation it needs anyway. A struct handed down with the call (a
/// value, like the selector of a LINQ <c>Select</c>): it refers to nothing above the store, and a decorator composes
/// its own handling in front of it. So a remote read costs one continuation for the whole stack, not one per layer.
/// </summary>
internal interface IReadProjection<T, out TResult>
{
    TResult Project(in ReadOutcome<T> outcome);
}
