namespace Motadata.Cache.Stores;

/// <summary>
/// A capability a backend hands recovery through the composition root: asks the server (or the one node of several
/// that a store stands for) whether it answers, without touching any key a caller could hold.
/// </summary>
internal interface IStoreProbe
{
    /// <summary>A miss when the server answered; failed with the reason when it did not.</summary>
    ValueTask<ReadOutcome<byte[]>> ProbeAsync(CancellationToken cancellationToken);
}
