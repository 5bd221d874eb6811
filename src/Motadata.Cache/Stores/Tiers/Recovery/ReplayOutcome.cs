namespace Motadata.Cache.Stores.Tiers.Recovery;

/// <summary>What became of one journaled removal in a replay round.</summary>
internal enum ReplayOutcome : byte
{
    /// <summary>The server did not apply it; it stays journaled and is replayed again.</summary>
    Failed,

    /// <summary>The server applied it; it leaves the journal.</summary>
    Applied,

    /// <summary>It failed too often; it is replaced by a clear of its namespace, which is replayed instead.</summary>
    Widened,

    /// <summary>It failed too often even as a clear; it leaves the journal unapplied (logged and counted).</summary>
    Abandoned,
}
