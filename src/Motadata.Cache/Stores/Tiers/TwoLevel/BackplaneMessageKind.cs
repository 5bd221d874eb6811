namespace Motadata.Cache.Stores.Tiers.TwoLevel;

/// <summary>What a backplane message covers; the character is its first byte on the wire.</summary>
internal enum BackplaneMessageKind
{
    /// <summary>One key was written (or removed): receivers drop it.</summary>
    Key = 'K',

    /// <summary>Several keys of one namespace were written (a warm): receivers drop them.</summary>
    Keys = 'W',

    /// <summary>The keys of one namespace matching a glob were removed.</summary>
    Pattern = 'I',

    /// <summary>One tenant (or the global namespace) was cleared.</summary>
    Tenant = 'T',

    /// <summary>Everything was cleared, or the sender cannot say what changed (it owes an announcement from an outage).</summary>
    Everything = 'A',

    /// <summary>A sender's own probe, proving its subscription delivers; nothing to drop.</summary>
    Probe = 'P',
}
