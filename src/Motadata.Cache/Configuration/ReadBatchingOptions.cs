namespace Motadata.Cache;

/// <summary>
/// Batched reads on the Dragonfly backend (<see cref="CacheConfig.ReadBatching"/>, on by default; null turns them off):
/// the asynchronous single-key reads that arrive while another one is on its way to the server go as one <c>MGET</c>.
/// A read that finds nothing in flight goes at once as a plain <c>GET</c>, so a lone caller waits no longer. A batched
/// read is sent after it was asked for, so it sees every write that completed before, as a <c>GET</c> would. On a
/// Redis Cluster one <c>MGET</c> must stay in one slot, so reads there go alone: the cache logs that once at start
/// (event 5, <c>ReadBatchingOffOnCluster</c>). See docs/dragonfly.md.
/// </summary>
public sealed class ReadBatchingOptions
{
    /// <summary>The most keys one batched read carries; a full batch is sent without waiting. 1 sends every read alone (batching off).</summary>
    /// <value>Default 128.</value>
    public int MaxKeys { get; set; } = 128;

    /// <summary>True when reads are batched at all (more than one key a batch).</summary>
    internal bool IsOn => MaxKeys > 1;

    /// <summary>A copy of these settings.</summary>
    /// <returns>The copy.</returns>
    public ReadBatchingOptions Clone() => (ReadBatchingOptions)MemberwiseClone();
}
