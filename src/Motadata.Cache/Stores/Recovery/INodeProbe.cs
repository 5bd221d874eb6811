namespace Motadata.Cache.Stores.Recovery;

/// <summary>
/// A store that stands for one node of several sharing a client (a cluster primary, see
/// <see cref="Dragonfly.DragonflyStore.OnlyOn"/>): recovery probes it with this, because a read of its reserved probe
/// key would be routed to whichever node owns that key.
/// </summary>
internal interface INodeProbe
{
    /// <summary>A miss when the node answered; failed with the reason when it did not.</summary>
    ValueTask<ReadOutcome<byte[]>> ProbeAsync(CancellationToken cancellationToken);
}
