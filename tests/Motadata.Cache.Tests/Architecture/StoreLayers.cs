namespace Motadata.Cache.Tests.Architecture;

/// <summary>
/// The layers of the store layer, as namespaces and type names: the ONE place to edit when folders or namespaces move
/// (say, to Stores/Backends/* and Stores/Tiers/*). A name matches itself and everything under it (a namespace's types
/// and sub-namespaces, a type's nested types). See docs/store-layer.md.
/// </summary>
internal static class StoreLayers
{
    /// <summary>What every store and tier is written against: ICacheStore, the outcomes, the operations, the capabilities, the shared bases.</summary>
    public static readonly string[] Contracts = ["Motadata.Cache.Stores"];

    /// <summary>Stores that talk to a place where values live (memory, a server); they wrap nothing.</summary>
    public static readonly string[] Backends =
    [
        "Motadata.Cache.Stores.Backends.Memory",
        "Motadata.Cache.Stores.Backends.Dragonfly",
    ];

    /// <summary>
    /// Stores around other stores. ClusterStore routes a key to its primary and recovers per primary, as ShardedStore
    /// does per server, so Stores.Tiers.Cluster is a tier (its ClusterView only reads <c>CLUSTER NODES</c>).
    /// </summary>
    public static readonly string[] Tiers =
    [
        "Motadata.Cache.Stores.Tiers.Recovery",
        "Motadata.Cache.Stores.Tiers.TwoLevel",
        "Motadata.Cache.Stores.Tiers.Sharded",
        "Motadata.Cache.Stores.Tiers.Cluster",
    ];

    /// <summary>
    /// Tiers that live beside the part they serve rather than under Stores: telemetry's tier times every store call
    /// for the facade's telemetry, so it is the one store that may reference that telemetry.
    /// </summary>
    public static readonly string[] TiersElsewhere = ["Motadata.Cache.Telemetry.InstrumentedStore"];

    /// <summary>The concrete stores of the backends, which no tier names: the composition root builds them and hands in what a tier needs.</summary>
    public static readonly string[] ConcreteBackendStores =
    [
        "Motadata.Cache.Stores.Backends.Memory.MemoryStore",
        "Motadata.Cache.Stores.Backends.Dragonfly.DragonflyStore",
    ];

    /// <summary>The facade: what the caller holds.</summary>
    public static readonly string[] Facade = ["Motadata.Cache.CacheMechanism", "Motadata.Cache.TenantCache"];

    /// <summary>Dependency injection, ours and the framework's.</summary>
    public static readonly string[] DependencyInjection = ["Motadata.Cache.DependencyInjection", "Microsoft.Extensions.DependencyInjection"];

    /// <summary>
    /// The facade's telemetry: its meters and traces, and the framework's metering and tracing types. Not the
    /// Telemetry namespace as such: InstrumentedStore (a tier) lives there.
    /// </summary>
    public static readonly string[] FacadeTelemetry =
    [
        "Motadata.Cache.Telemetry.CacheTelemetry",
        "Motadata.Cache.CacheDiagnostics",
        "Motadata.Cache.Telemetry.OperationScope",
        "Motadata.Cache.Telemetry.TenantTagGuard",
        "System.Diagnostics.Metrics",
        "System.Diagnostics.Activity",
        "OpenTelemetry",
    ];

    /// <summary>
    /// Health checks, ours and the framework's. Not CacheHealth: a store reports its health as that value (through
    /// IRecoveryState), which the facade reads.
    /// </summary>
    public static readonly string[] HealthChecks = ["Motadata.Cache.MotadataCacheHealthCheck", "Microsoft.Extensions.Diagnostics.HealthChecks"];

    /// <summary>
    /// The exceptions to the rules, each with its reason. Keyed by the rule's name; a type listed is left out of that
    /// rule only.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, (string Type, string Reason)[]> Exceptions = new Dictionary<string, (string, string)[]>
    {
        [nameof(StoreLayerTests.NoTierNamesAConcreteBackendStore)] =
        [
            ("Motadata.Cache.Stores.Tiers.TwoLevel.TwoLevelStore",
                "The local level is a MemoryStore by design: the facade's inlined hit path reads it as one (a call through ICacheStore.Read<T> is a generic virtual call, measured slower), and the tier uses its tenant segments to clear a tenant."),
        ],
    };
}
