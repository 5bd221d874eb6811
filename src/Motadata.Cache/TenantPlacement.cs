namespace Motadata.Cache;

/// <summary>
/// How a tenant's keys are laid out on the Dragonfly backend, which decides where they land on a Redis Cluster
/// (see docs/scale-out.md). On a single server both layouts behave the same.
/// </summary>
public enum TenantPlacement
{
    /// <summary>
    /// Keys carry no hash tag: on a cluster each key's slot follows the caller's key, so a big tenant spreads over
    /// every primary and its invalidations and clears visit every primary (in parallel). Server keys look like
    /// <c>mc:t:6:acme-1:user_42</c>.
    /// </summary>
    Spread = 0,

    /// <summary>
    /// A tenant's keys share one hash tag, so on a cluster they all live in one slot on one primary: an invalidation
    /// or clear of that tenant touches one node, but a hot or big tenant loads that node alone. Server keys look like
    /// <c>mc:{t:6:acme-1}:user_42</c> (the layout before version 1.1).
    /// </summary>
    CoLocated = 1,
}
