using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Motadata.Cache;

/// <summary>
/// How a <see cref="CacheMechanism"/> is built. A plain settings class: the seed's settings and those every backend
/// shares are flat; the rest are grouped by feature into options objects (<see cref="Memory"/>,
/// <see cref="Dragonfly"/>, <see cref="ReadBatching"/>, <see cref="Recovery"/>, <see cref="Integrity"/>,
/// <see cref="LocalLevel"/>), each off or at its defaults when null, each bound from its own configuration section.
/// Every setting is checked once, when the cache is constructed, and one <see cref="ArgumentException"/> lists every
/// bad one. The cache keeps its own copy, so changing this object afterwards changes nothing. See docs/configuration.md.
/// </summary>
public sealed class CacheConfig
{
    /// <summary>The most characters a tenant id may have.</summary>
    public const int MaxTenantIdLength = 256;

    /// <summary>The diagnostic id of the v1 settings' <see cref="ObsoleteAttribute"/>.</summary>
    internal const string ObsoleteId = "MCACHE001";

    internal const string DefaultKeyPrefix = "mc:";

    private static readonly TimeSpan s_defaultScanInterval = TimeSpan.FromSeconds(30);

    /// <summary>Which store holds the entries.</summary>
    /// <value>Default <see cref="CacheBackend.Memory"/>.</value>
    public CacheBackend Backend { get; set; } = CacheBackend.Memory;

    /// <summary>
    /// Where Dragonfly listens, required with <see cref="CacheBackend.Dragonfly"/>:
    /// <c>dragonfly://[user:password@]host[:port][/db]</c>, <c>dragonflys://</c> for TLS, <c>redis://</c> and
    /// <c>rediss://</c> as synonyms, and a comma-separated list of <c>host:port</c> after the scheme for several
    /// endpoints (the nodes of one Redis Cluster, or with <see cref="EnableSharding"/> independent servers).
    /// </summary>
    /// <value>Default null.</value>
    public string? DragonflyUrl { get; set; }

    /// <summary>
    /// The most entries the memory backend holds, an exact bound. When it is full, a frequency sketch decides whether a
    /// new entry may evict the least valuable resident (W-TinyLFU: see docs/memory-backend.md).
    /// </summary>
    /// <value>Default 10,000.</value>
    public int MaxSize { get; set; } = 10_000;

    /// <summary>The TTL of an entry set without one. <see cref="Timeout.InfiniteTimeSpan"/> means no expiry.</summary>
    /// <value>Default one hour.</value>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Spreads the keys over shards. What a shard is depends on where the cache runs, so the seed's setting is
    /// accepted everywhere: on one Dragonfly server, that server's own shards (Dragonfly shards per core; nothing to do
    /// here); on a Redis Cluster, the cluster's primaries (it routes by slot); on several independent servers listed in
    /// <see cref="DragonflyUrl"/>, rendezvous hashing on tenant and key, each server with its own connection and
    /// recovery; on the memory backend, its segments (one per tenant). See docs/configuration.md.
    /// </summary>
    /// <value>Default false.</value>
    public bool EnableSharding { get; set; }

    /// <summary>
    /// With <see cref="EnableSharding"/>, how many shards: 1 to 1,024. Checked against the hosts only where it can be
    /// wrong, over several independent servers, where it must equal the number of servers in
    /// <see cref="DragonflyUrl"/> (so a server left out of the URL by mistake is caught at construction). On one server,
    /// a cluster or the memory backend the shards are the server's, the cluster's or the store's own.
    /// </summary>
    /// <value>Default 16.</value>
    public int ShardCount { get; set; } = 16;

    /// <summary>
    /// Adds a checksum to every value written to a remote backend and treats a value that fails it as a miss. With
    /// <see cref="Integrity"/>, every value is signed as well.
    /// </summary>
    /// <value>Default true.</value>
    public bool EnableValidation { get; set; } = true;

    /// <summary>
    /// Turns remote-backend failures into misses (and failed writes into <c>false</c>), keeps invalidations made
    /// during an outage and replays them, and stops waiting on a dead server with a circuit breaker. Off, every
    /// failure is a <see cref="CacheBackendException"/>.
    /// </summary>
    /// <value>Default true.</value>
    public bool EnableRecovery { get; set; } = true;

    /// <summary>The longest key accepted, in characters. Patterns are held to the same bound.</summary>
    /// <value>Default 1,024.</value>
    public int MaxKeyLength { get; set; } = 1024;

    /// <summary>The largest serialized value a remote backend stores; a larger one is refused (<c>Set</c> returns false).</summary>
    /// <value>Default 1 MiB (1,048,576 bytes).</value>
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>Writes values for a remote backend; null uses System.Text.Json.</summary>
    /// <value>Default null (System.Text.Json with its default options).</value>
    public ICacheSerializer? Serializer { get; set; }

    /// <summary>Where time comes from; tests pass a fake clock.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Where the cache logs; null logs nothing.</summary>
    /// <value>Default null.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Where the cache's <c>Motadata.Cache</c> meter comes from (dependency injection passes the container's);
    /// null creates a meter of its own, which the cache disposes with itself.
    /// </summary>
    /// <value>Default null.</value>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// The cache's name, for apps with several: the <c>cache.name</c> tag on its metrics. Dependency injection sets
    /// it to the name a cache was registered under.
    /// </summary>
    /// <value>Default null (no name tag).</value>
    public string? Name { get; set; }

    /// <summary>
    /// The memory backend's byte bound, per-tenant quotas and expiry scan (see <see cref="MemoryOptions"/>). Null takes
    /// every default: no byte bound, no quota, a scan every 30 seconds. Quotas on the Dragonfly backend are refused.
    /// Binds from the <c>Memory</c> section.
    /// </summary>
    /// <value>Default null.</value>
    public MemoryOptions? Memory { get; set; }

    /// <summary>
    /// How the Dragonfly backend connects and lays out its keys (see <see cref="DragonflyOptions"/>). Null takes every
    /// default. Without effect on the memory backend. Binds from the <c>Dragonfly</c> section.
    /// </summary>
    /// <value>Default null.</value>
    public DragonflyOptions? Dragonfly { get; set; }

    /// <summary>
    /// Batched reads on the Dragonfly backend (see <see cref="ReadBatchingOptions"/>): on by default; null (or
    /// <c>MaxKeys = 1</c>, which binds from configuration) sends every read alone. Not used on a Redis Cluster, which
    /// the cache logs at start. Binds from the <c>ReadBatching</c> section.
    /// </summary>
    /// <value>Default a <see cref="ReadBatchingOptions"/> of 128 keys.</value>
    public ReadBatchingOptions? ReadBatching { get; set; } = new();

    /// <summary>
    /// How recovery rides out an outage (see <see cref="RecoveryOptions"/>); used while <see cref="EnableRecovery"/>
    /// is on, and without effect when it is off. Null takes every default. Binds from the <c>Recovery</c> section.
    /// </summary>
    /// <value>Default null.</value>
    public RecoveryOptions? Recovery { get; set; }

    /// <summary>
    /// Signs every remote value with HMAC-SHA256 (see <see cref="IntegrityOptions"/>); null signs nothing. Needs
    /// <see cref="EnableValidation"/> (signing is validation's stronger form). Binds from the <c>Integrity</c>
    /// section, the key as base64.
    /// </summary>
    /// <value>Default null.</value>
    public IntegrityOptions? Integrity { get; set; }

    /// <summary>
    /// An in-process level in front of Dragonfly, with fleet-wide single flight inside it (see
    /// <see cref="LocalLevelOptions"/>); null turns it off. Dragonfly backend only, and not with
    /// <see cref="EnableSharding"/> over several independent servers. Binds from the <c>LocalLevel</c> section.
    /// </summary>
    /// <value>Default null (off).</value>
    public LocalLevelOptions? LocalLevel { get; set; }

    // The settings of v1, each forwarding to its group (creating the group when set to anything but the default: the
    // configuration binder writes back what it reads from every value-type property, which must not create groups).
    // Settings of the groups that turn a feature on (local level, fleet single flight, read batching) are kept aside
    // while the feature is off, so the order in which a binder sets them never matters, and setting a size alone never
    // turns a feature on.
    private LocalLevelOptions? _localLevelOff;
    private FleetSingleFlightOptions? _fleetSingleFlightOff;
    private ReadBatchingOptions? _readBatchingOff;

    /// <summary>Moved: <see cref="DragonflyOptions.TenantPlacement"/>.</summary>
    /// <value>Default <see cref="TenantPlacement.Spread"/>.</value>
    [Obsolete("Use Dragonfly.TenantPlacement.", DiagnosticId = ObsoleteId)]
    public TenantPlacement TenantPlacement
    {
        get => Dragonfly?.TenantPlacement ?? TenantPlacement.Spread;
        set
        {
            if (Dragonfly is not null || value != TenantPlacement.Spread)
            {
                (Dragonfly ??= new()).TenantPlacement = value;
            }
        }
    }

    /// <summary>Moved: <see cref="MemoryOptions.MaxMemoryBytes"/>.</summary>
    /// <value>Default null.</value>
    [Obsolete("Use Memory.MaxMemoryBytes.", DiagnosticId = ObsoleteId)]
    public long? MaxMemoryBytes
    {
        get => Memory?.MaxMemoryBytes;
        set
        {
            if (Memory is not null || value is not null)
            {
                (Memory ??= new()).MaxMemoryBytes = value;
            }
        }
    }

    /// <summary>Moved: <see cref="MemoryOptions.MaxSizePerTenant"/>.</summary>
    /// <value>Default null.</value>
    [Obsolete("Use Memory.MaxSizePerTenant.", DiagnosticId = ObsoleteId)]
    public int? MaxSizePerTenant
    {
        get => Memory?.MaxSizePerTenant;
        set
        {
            if (Memory is not null || value is not null)
            {
                (Memory ??= new()).MaxSizePerTenant = value;
            }
        }
    }

    /// <summary>Moved: <see cref="MemoryOptions.MaxMemoryBytesPerTenant"/>.</summary>
    /// <value>Default null.</value>
    [Obsolete("Use Memory.MaxMemoryBytesPerTenant.", DiagnosticId = ObsoleteId)]
    public long? MaxMemoryBytesPerTenant
    {
        get => Memory?.MaxMemoryBytesPerTenant;
        set
        {
            if (Memory is not null || value is not null)
            {
                (Memory ??= new()).MaxMemoryBytesPerTenant = value;
            }
        }
    }

    /// <summary>Moved: <see cref="MemoryOptions.TenantQuotas"/>. Reading it creates <see cref="Memory"/>.</summary>
    /// <value>Default empty.</value>
    [Obsolete("Use Memory.TenantQuotas.", DiagnosticId = ObsoleteId)]
    public IDictionary<string, TenantQuota> TenantQuotas => (Memory ??= new()).TenantQuotas;

    /// <summary>Moved: <see cref="MemoryOptions.ExpirationScanInterval"/>.</summary>
    /// <value>Default 30 seconds.</value>
    [Obsolete("Use Memory.ExpirationScanInterval.", DiagnosticId = ObsoleteId)]
    public TimeSpan ExpirationScanInterval
    {
        get => ScanInterval;
        set
        {
            if (Memory is not null || value != s_defaultScanInterval)
            {
                (Memory ??= new()).ExpirationScanInterval = value;
            }
        }
    }

    /// <summary>Moved: <see cref="DragonflyOptions.KeyPrefix"/>.</summary>
    /// <value>Default <c>"mc:"</c>.</value>
    [Obsolete("Use Dragonfly.KeyPrefix.", DiagnosticId = ObsoleteId)]
    public string KeyPrefix
    {
        get => Dragonfly?.KeyPrefix ?? DefaultKeyPrefix;
        set
        {
            if (Dragonfly is not null || value != DefaultKeyPrefix)
            {
                (Dragonfly ??= new()).KeyPrefix = value;
            }
        }
    }

    /// <summary>Moved: <see cref="DragonflyOptions.OperationTimeout"/>.</summary>
    /// <value>Default one second.</value>
    [Obsolete("Use Dragonfly.OperationTimeout.", DiagnosticId = ObsoleteId)]
    public TimeSpan OperationTimeout
    {
        get => Dragonfly?.OperationTimeout ?? TimeSpan.FromSeconds(1);
        set
        {
            if (Dragonfly is not null || value != TimeSpan.FromSeconds(1))
            {
                (Dragonfly ??= new()).OperationTimeout = value;
            }
        }
    }

    /// <summary>Moved: <see cref="DragonflyOptions.ConnectTimeout"/>.</summary>
    /// <value>Default five seconds.</value>
    [Obsolete("Use Dragonfly.ConnectTimeout.", DiagnosticId = ObsoleteId)]
    public TimeSpan ConnectTimeout
    {
        get => Dragonfly?.ConnectTimeout ?? TimeSpan.FromSeconds(5);
        set
        {
            if (Dragonfly is not null || value != TimeSpan.FromSeconds(5))
            {
                (Dragonfly ??= new()).ConnectTimeout = value;
            }
        }
    }

    /// <summary>Moved: <see cref="DragonflyOptions.DedicatedIOThreads"/>.</summary>
    /// <value>Default false.</value>
    [Obsolete("Use Dragonfly.DedicatedIOThreads.", DiagnosticId = ObsoleteId)]
    public bool DedicatedIOThreads
    {
        get => Dragonfly?.DedicatedIOThreads ?? false;
        set
        {
            if (Dragonfly is not null || value != false)
            {
                (Dragonfly ??= new()).DedicatedIOThreads = value;
            }
        }
    }

    /// <summary>Moved: <see cref="ReadBatchingOptions.MaxKeys"/>.</summary>
    /// <value>Default 128.</value>
    [Obsolete("Use ReadBatching.MaxKeys.", DiagnosticId = ObsoleteId)]
    public int ReadBatchMaxKeys
    {
        get => (ReadBatching ?? _readBatchingOff)?.MaxKeys ?? 128;
        set => (ReadBatching ?? (_readBatchingOff ??= new())).MaxKeys = value;
    }

    /// <summary>Moved: <see cref="ReadBatching"/> (null turns batching off).</summary>
    /// <value>Default true.</value>
    [Obsolete("Use ReadBatching (null turns batching off).", DiagnosticId = ObsoleteId)]
    public bool EnableReadBatching
    {
        get => ReadBatching is not null;
        set => (ReadBatching, _readBatchingOff) = Toggle(value, ReadBatching, _readBatchingOff);
    }

    /// <summary>Moved: <see cref="RecoveryOptions.JournalCapacity"/>.</summary>
    /// <value>Default 10,000.</value>
    [Obsolete("Use Recovery.JournalCapacity.", DiagnosticId = ObsoleteId)]
    public int RecoveryJournalCapacity
    {
        get => Recovery?.JournalCapacity ?? 10_000;
        set
        {
            if (Recovery is not null || value != 10_000)
            {
                (Recovery ??= new()).JournalCapacity = value;
            }
        }
    }

    /// <summary>Moved: <see cref="RecoveryOptions.BreakDuration"/>.</summary>
    /// <value>Default five seconds.</value>
    [Obsolete("Use Recovery.BreakDuration.", DiagnosticId = ObsoleteId)]
    public TimeSpan RecoveryBreakDuration
    {
        get => Recovery?.BreakDuration ?? TimeSpan.FromSeconds(5);
        set
        {
            if (Recovery is not null || value != TimeSpan.FromSeconds(5))
            {
                (Recovery ??= new()).BreakDuration = value;
            }
        }
    }

    /// <summary>Moved: <see cref="RecoveryOptions.MaxReplayAttempts"/>.</summary>
    /// <value>Default 3.</value>
    [Obsolete("Use Recovery.MaxReplayAttempts.", DiagnosticId = ObsoleteId)]
    public int RecoveryMaxReplayAttempts
    {
        get => Recovery?.MaxReplayAttempts ?? 3;
        set
        {
            if (Recovery is not null || value != 3)
            {
                (Recovery ??= new()).MaxReplayAttempts = value;
            }
        }
    }

    /// <summary>Moved: <see cref="RecoveryOptions.FallbackMaxSize"/>.</summary>
    /// <value>Default 0 (off).</value>
    [Obsolete("Use Recovery.FallbackMaxSize.", DiagnosticId = ObsoleteId)]
    public int RecoveryFallbackMaxSize
    {
        get => Recovery?.FallbackMaxSize ?? 0;
        set
        {
            if (Recovery is not null || value != 0)
            {
                (Recovery ??= new()).FallbackMaxSize = value;
            }
        }
    }

    /// <summary>Moved: <see cref="LocalLevelOptions.MaxSize"/>.</summary>
    /// <value>Default 10,000.</value>
    [Obsolete("Use LocalLevel.MaxSize.", DiagnosticId = ObsoleteId)]
    public int LocalMaxSize
    {
        get => LocalLevelOrKept?.MaxSize ?? 10_000;
        set => LocalLevelSettings.MaxSize = value;
    }

    /// <summary>Moved: <see cref="LocalLevelOptions.MaxMemoryBytes"/>.</summary>
    /// <value>Default null.</value>
    [Obsolete("Use LocalLevel.MaxMemoryBytes.", DiagnosticId = ObsoleteId)]
    public long? LocalMaxMemoryBytes
    {
        get => LocalLevelOrKept?.MaxMemoryBytes;
        set => LocalLevelSettings.MaxMemoryBytes = value;
    }

    /// <summary>Moved: <see cref="LocalLevelOptions.MaxLifetime"/>.</summary>
    /// <value>Default five minutes.</value>
    [Obsolete("Use LocalLevel.MaxLifetime.", DiagnosticId = ObsoleteId)]
    public TimeSpan LocalMaxLifetime
    {
        get => LocalLevelOrKept?.MaxLifetime ?? TimeSpan.FromMinutes(5);
        set => LocalLevelSettings.MaxLifetime = value;
    }

    /// <summary>Moved: <see cref="FleetSingleFlightOptions.LeaseDuration"/> (<c>LocalLevel.FleetSingleFlight.LeaseDuration</c>).</summary>
    /// <value>Default 10 seconds.</value>
    [Obsolete("Use LocalLevel.FleetSingleFlight.LeaseDuration.", DiagnosticId = ObsoleteId)]
    public TimeSpan FleetLeaseDuration
    {
        get => (LocalLevelOrKept?.FleetSingleFlight ?? _fleetSingleFlightOff)?.LeaseDuration ?? TimeSpan.FromSeconds(10);
        set => (LocalLevelOrKept?.FleetSingleFlight ?? (_fleetSingleFlightOff ??= new())).LeaseDuration = value;
    }

    /// <summary>
    /// Moved: <see cref="LocalLevelOptions.FleetSingleFlight"/> (<c>LocalLevel.FleetSingleFlight</c>). Setting it
    /// true without <see cref="EnableLocalLevel"/> leaves the local level off, which validation refuses, as before.
    /// </summary>
    /// <value>Default false.</value>
    [Obsolete("Use LocalLevel.FleetSingleFlight (null turns it off).", DiagnosticId = ObsoleteId)]
    public bool EnableFleetSingleFlight
    {
        get => LocalLevel is null ? _fleetSingleFlightWanted : LocalLevel.FleetSingleFlight is not null;
        set
        {
            _fleetSingleFlightWanted = value;
            var level = LocalLevelOrKept;
            if (level is null)
            {
                return;
            }

            (level.FleetSingleFlight, _fleetSingleFlightOff) = Toggle(value, level.FleetSingleFlight, _fleetSingleFlightOff);
        }
    }

    /// <summary>Moved: <see cref="LocalLevel"/> (null turns the local level off).</summary>
    /// <value>Default false.</value>
    [Obsolete("Use LocalLevel (null turns the local level off).", DiagnosticId = ObsoleteId)]
    public bool EnableLocalLevel
    {
        get => LocalLevel is not null;
        set
        {
            (LocalLevel, _localLevelOff) = Toggle(value, LocalLevel, _localLevelOff);
            if (LocalLevel is { } level && _fleetSingleFlightWanted)
            {
                level.FleetSingleFlight ??= _fleetSingleFlightOff ?? new();
                _fleetSingleFlightOff = null;
            }
        }
    }

    /// <summary>Moved: <see cref="IntegrityOptions.SigningKey"/> (<c>Integrity.SigningKey</c>; null removes <see cref="Integrity"/>).</summary>
    /// <value>Default null.</value>
#pragma warning disable CA1819 // A key is bytes; the cache copies it at construction.
    [Obsolete("Use Integrity.SigningKey (Integrity null signs nothing).", DiagnosticId = ObsoleteId)]
    public byte[]? SigningKey
    {
        get => Integrity?.SigningKey;
        set => Integrity = value is null ? null : new IntegrityOptions { SigningKey = value };
    }
#pragma warning restore CA1819

    private bool _fleetSingleFlightWanted;

    /// <summary>The local level's settings, on or kept aside while it is off.</summary>
    private LocalLevelOptions? LocalLevelOrKept => LocalLevel ?? _localLevelOff;

    /// <summary>The local level's settings for a v1 setter: the live ones, else those kept aside (made when needed).</summary>
    private LocalLevelOptions LocalLevelSettings
    {
        get
        {
            if (LocalLevelOrKept is { } level)
            {
                return level;
            }

            _localLevelOff = new LocalLevelOptions();
            if (_fleetSingleFlightWanted)
            {
                _localLevelOff.FleetSingleFlight = _fleetSingleFlightOff ?? new();
                _fleetSingleFlightOff = null;
            }

            return _localLevelOff;
        }
    }

    /// <summary>Turns a group on (the kept settings, else new ones) or off (keeping its settings aside).</summary>
    private static (T? On, T? Kept) Toggle<T>(bool on, T? current, T? kept)
        where T : class, new() =>
        on ? (current ?? kept ?? new T(), null) : (null, current ?? kept);

    /// <summary>A copy of these settings and of every group, so later changes to this object reach no cache built from it.</summary>
    /// <returns>The copy.</returns>
    public CacheConfig Clone()
    {
        var copy = (CacheConfig)MemberwiseClone();
        copy.Memory = Memory?.Clone();
        copy.Dragonfly = Dragonfly?.Clone();
        copy.ReadBatching = ReadBatching?.Clone();
        copy.Recovery = Recovery?.Clone();
        copy.Integrity = Integrity?.Clone();
        copy.LocalLevel = LocalLevel?.Clone();
        copy._localLevelOff = _localLevelOff?.Clone();
        copy._fleetSingleFlightOff = _fleetSingleFlightOff?.Clone();
        copy._readBatchingOff = _readBatchingOff?.Clone();
        return copy;
    }

    /// <summary>
    /// Checks every setting and throws one <see cref="ArgumentException"/> that lists every bad one with what is
    /// allowed.
    /// </summary>
    /// <exception cref="ArgumentException">One or more settings are out of range, or cannot be combined.</exception>
    public void Validate() => ThrowIfAny(Problems());

    /// <summary>Every problem of these settings, each a sentence naming the setting, its value and what is allowed.</summary>
    internal List<string> Problems()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Backend))
        {
            errors.Add($"Backend is {(int)Backend}; use CacheBackend.Memory or CacheBackend.Dragonfly.");
        }

        if (MaxSize <= 0)
        {
            errors.Add($"MaxSize is {MaxSize}; it must be at least 1.");
        }

        if (Ttl <= TimeSpan.Zero && Ttl != Timeout.InfiniteTimeSpan)
        {
            errors.Add($"Ttl is {Ttl}; use a positive TimeSpan or Timeout.InfiniteTimeSpan for no expiry.");
        }

        // Whether ShardCount must match the hosts is known only once they answer (several hosts may be one cluster):
        // see PlacementProblems. Here only what is wrong everywhere.
        if (EnableSharding && ShardCount is < 1 or > 1024)
        {
            errors.Add($"ShardCount is {ShardCount}; with EnableSharding use 1 to 1024 shards.");
        }

        if (MaxKeyLength < 1)
        {
            errors.Add($"MaxKeyLength is {MaxKeyLength}; it must be at least 1.");
        }

        if (MaxValueBytes < 1)
        {
            errors.Add($"MaxValueBytes is {MaxValueBytes}; it must be at least 1.");
        }

        if (Memory is { } memory)
        {
            ValidateMemory(memory, errors);
        }

        if (Dragonfly is { } dragonfly)
        {
            ValidateDragonfly(dragonfly, errors);
        }

        if (ReadBatching is { MaxKeys: < 1 or > 10_000 } batching)
        {
            errors.Add($"ReadBatching.MaxKeys is {batching.MaxKeys}; use 2 to 10,000 keys, or 1 (or ReadBatching = null) to send every read alone.");
        }

        if (Recovery is { } recovery)
        {
            ValidateRecovery(recovery, errors);
        }

        ValidateIntegrity(errors);
        ValidateLocalLevel(errors);

        if (Backend == CacheBackend.Dragonfly)
        {
            if (string.IsNullOrWhiteSpace(DragonflyUrl))
            {
                errors.Add("DragonflyUrl is missing; the Dragonfly backend needs one, such as \"dragonfly://localhost:6379\".");
            }
            else if (!Configuration.DragonflyEndpoint.TryParse(DragonflyUrl, out _, out var urlError))
            {
                errors.Add(urlError);
            }
        }

        return errors;
    }

    /// <summary>
    /// The checks of <see cref="EnableSharding"/> that need to know what the hosts of <see cref="DragonflyUrl"/> are,
    /// made by the composition root once the first one has answered: over several independent servers,
    /// <see cref="ShardCount"/> must be their number and the local level cannot run (its backplane is on one server).
    /// </summary>
    internal List<string> PlacementProblems(int independentServers)
    {
        var errors = new List<string>();
        if (ShardCount != independentServers)
        {
            errors.Add($"ShardCount is {ShardCount} but DragonflyUrl names {independentServers} independent servers; with EnableSharding over independent servers each shard is one server, so ShardCount must be {independentServers} (a server left out of the URL?).");
        }

        if (LocalLevel is not null)
        {
            errors.Add("LocalLevel is set with EnableSharding over several independent Dragonfly servers; the backplane runs on one server (or one cluster), so use one of the two.");
        }

        return errors;
    }

    /// <summary>Throws the one <see cref="ArgumentException"/> that lists <paramref name="errors"/>, if there are any.</summary>
    internal static void ThrowIfAny(List<string> errors)
    {
        if (errors.Count > 0)
        {
#pragma warning disable CA2208 // The settings are the constructor's config argument, as they always were.
            throw new ArgumentException(
                "The cache configuration is not valid:" + Environment.NewLine + "- " + string.Join(Environment.NewLine + "- ", errors),
                "config");
#pragma warning restore CA2208
        }
    }

    /// <summary>How often the in-process stores reclaim expired entries (<see cref="MemoryOptions.ExpirationScanInterval"/>).</summary>
    internal TimeSpan ScanInterval => Memory?.ExpirationScanInterval ?? s_defaultScanInterval;

    /// <summary>
    /// The settings of an in-process tier of the Dragonfly backend (the local level, the recovery fallback): a memory
    /// store bounded to <paramref name="maxSize"/> entries and <paramref name="maxBytes"/>, whose entries live at most
    /// <paramref name="ttl"/>. The one place such settings are made, for <c>MemoryStore</c>'s constructor.
    /// </summary>
    internal static CacheConfig ForInProcessTier(int maxSize, long? maxBytes, TimeSpan ttl, TimeSpan scanInterval) => new()
    {
        MaxSize = maxSize,
        Ttl = ttl,
        Memory = new MemoryOptions { MaxMemoryBytes = maxBytes, ExpirationScanInterval = scanInterval },
    };

    /// <summary>The quota of <paramref name="tenantId"/> (a named tenant): its override where it has one, else the per-tenant defaults.</summary>
    internal (int? MaxSize, long? MaxMemoryBytes) QuotaFor(string tenantId)
    {
        if (Memory is not { } memory)
        {
            return (null, null);
        }

        if (memory.TenantQuotas.TryGetValue(tenantId, out var quota) && quota is not null)
        {
            return (quota.MaxSize ?? memory.MaxSizePerTenant, quota.MaxMemoryBytes ?? memory.MaxMemoryBytesPerTenant);
        }

        return (memory.MaxSizePerTenant, memory.MaxMemoryBytesPerTenant);
    }

    private void ValidateMemory(MemoryOptions memory, List<string> errors)
    {
        if (memory.MaxMemoryBytes is { } maxBytes && maxBytes <= 0)
        {
            errors.Add($"Memory.MaxMemoryBytes is {maxBytes}; use a positive number of bytes, or null for no byte bound.");
        }

        if (memory.ExpirationScanInterval <= TimeSpan.Zero || memory.ExpirationScanInterval > TimeSpan.FromDays(1))
        {
            // The scan runs on a timer, and timers refuse periods past about 49 days; a day is plenty.
            errors.Add($"Memory.ExpirationScanInterval is {memory.ExpirationScanInterval}; use a positive TimeSpan of at most one day.");
        }

        if (memory.HasQuotas && Backend == CacheBackend.Dragonfly)
        {
            errors.Add("Memory.MaxSizePerTenant, Memory.MaxMemoryBytesPerTenant and Memory.TenantQuotas apply to the memory backend only; remove them, or use CacheBackend.Memory.");
        }

        CheckSizeQuota("Memory.MaxSizePerTenant", memory.MaxSizePerTenant, errors);
        CheckBytesQuota("Memory.MaxMemoryBytesPerTenant", memory.MaxMemoryBytesPerTenant, memory.MaxMemoryBytes, errors);
        foreach (var (tenantId, quota) in memory.TenantQuotas)
        {
            var name = $"Memory.TenantQuotas[\"{tenantId}\"]";
            if (string.IsNullOrEmpty(tenantId) || tenantId.Length > MaxTenantIdLength || !Internal.Utf16Text.IsWellFormed(tenantId))
            {
                errors.Add($"{name} names an invalid tenant id; a tenant id is 1 to {MaxTenantIdLength} whole Unicode characters.");
            }

            if (quota is null)
            {
                errors.Add($"{name} is null; give it MaxSize and/or MaxMemoryBytes, or remove it.");
                continue;
            }

            CheckSizeQuota(name + ".MaxSize", quota.MaxSize, errors);
            CheckBytesQuota(name + ".MaxMemoryBytes", quota.MaxMemoryBytes, memory.MaxMemoryBytes, errors);
        }
    }

    private static void ValidateDragonfly(DragonflyOptions dragonfly, List<string> errors)
    {
        if (string.IsNullOrEmpty(dragonfly.KeyPrefix))
        {
            errors.Add("Dragonfly.KeyPrefix is empty; a prefix such as \"mc:\" keeps this cache's keys apart from other applications' on a shared server.");
        }

        if (dragonfly.OperationTimeout <= TimeSpan.Zero || dragonfly.OperationTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Dragonfly.OperationTimeout is {dragonfly.OperationTimeout}; use a positive TimeSpan of at most 10 minutes.");
        }

        if (dragonfly.ConnectTimeout <= TimeSpan.Zero || dragonfly.ConnectTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Dragonfly.ConnectTimeout is {dragonfly.ConnectTimeout}; use a positive TimeSpan of at most 10 minutes.");
        }

        if (!Enum.IsDefined(dragonfly.TenantPlacement))
        {
            errors.Add($"Dragonfly.TenantPlacement is {(int)dragonfly.TenantPlacement}; use TenantPlacement.Spread or TenantPlacement.CoLocated.");
        }
    }

    private static void ValidateRecovery(RecoveryOptions recovery, List<string> errors)
    {
        if (recovery.JournalCapacity < 1)
        {
            errors.Add($"Recovery.JournalCapacity is {recovery.JournalCapacity}; it must be at least 1.");
        }

        if (recovery.BreakDuration < TimeSpan.FromMilliseconds(500) || recovery.BreakDuration > TimeSpan.FromDays(1))
        {
            errors.Add($"Recovery.BreakDuration is {recovery.BreakDuration}; use between 0.5 seconds and one day.");
        }

        if (recovery.MaxReplayAttempts is < 1 or > 100)
        {
            errors.Add($"Recovery.MaxReplayAttempts is {recovery.MaxReplayAttempts}; use between 1 and 100 replays of one removal before it is widened, then abandoned.");
        }

        if (recovery.FallbackMaxSize < 0)
        {
            errors.Add($"Recovery.FallbackMaxSize is {recovery.FallbackMaxSize}; use 0 to turn the fallback tier off or a positive entry count.");
        }
    }

    private void ValidateIntegrity(List<string> errors)
    {
        if (Integrity is not { } integrity)
        {
            return;
        }

        if (integrity.SigningKey is not { } key)
        {
            errors.Add("Integrity.SigningKey is missing; give 16 or more random bytes (base64 in configuration), or set Integrity to null to sign nothing.");
        }
        else if (key.Length < 16)
        {
            errors.Add($"Integrity.SigningKey is {key.Length} bytes long; use at least 16 random bytes, or set Integrity to null to sign nothing.");
        }

        if (!EnableValidation)
        {
            errors.Add("Integrity is set (every value signed and checked) but EnableValidation is false (nothing checked); signing is validation's stronger form, so turn EnableValidation on, or set Integrity to null.");
        }
    }

    private void ValidateLocalLevel(List<string> errors)
    {
        if (LocalLevel is not { } local)
        {
            if (_fleetSingleFlightWanted)
            {
                // Only the v1 names can say this; LocalLevel.FleetSingleFlight cannot exist without LocalLevel.
                errors.Add("EnableFleetSingleFlight is true without EnableLocalLevel; waiting instances are woken by the local level's backplane, so set LocalLevel = new() { FleetSingleFlight = new() }.");
            }

            return;
        }

        if (Backend == CacheBackend.Memory)
        {
            errors.Add("LocalLevel is set with the memory backend, which is already in-process; use it with CacheBackend.Dragonfly, or set LocalLevel to null.");
        }

        if (local.FleetSingleFlight is { } fleet && (fleet.LeaseDuration < TimeSpan.FromMilliseconds(100) || fleet.LeaseDuration > TimeSpan.FromMinutes(10)))
        {
            errors.Add($"LocalLevel.FleetSingleFlight.LeaseDuration is {fleet.LeaseDuration}; use between 100 milliseconds and 10 minutes.");
        }

        if (local.MaxSize < 1)
        {
            errors.Add($"LocalLevel.MaxSize is {local.MaxSize}; it must be at least 1.");
        }

        if (local.MaxMemoryBytes is { } localBytes && localBytes <= 0)
        {
            errors.Add($"LocalLevel.MaxMemoryBytes is {localBytes}; use a positive number of bytes, or null for no byte bound.");
        }

        if (local.MaxLifetime <= TimeSpan.Zero || local.MaxLifetime > TimeSpan.FromDays(1))
        {
            errors.Add($"LocalLevel.MaxLifetime is {local.MaxLifetime}; use a positive TimeSpan of at most one day (it bounds how long a value lives in the local level).");
        }
    }

    private void CheckSizeQuota(string name, int? quota, List<string> errors)
    {
        if (quota is not { } value)
        {
            return;
        }

        if (value <= 0)
        {
            errors.Add($"{name} is {value}; use at least 1 entry, or null for no per-tenant bound.");
        }
        else if (MaxSize > 0 && value > MaxSize)
        {
            errors.Add($"{name} is {value} but MaxSize is {MaxSize}; a tenant's quota cannot exceed the cache's own bound.");
        }
    }

    private static void CheckBytesQuota(string name, long? quota, long? maxMemoryBytes, List<string> errors)
    {
        if (quota is not { } value)
        {
            return;
        }

        if (value <= 0)
        {
            errors.Add($"{name} is {value}; use a positive number of bytes, or null for no per-tenant byte bound.");
        }
        else if (maxMemoryBytes is > 0 and { } maxBytes && value > maxBytes)
        {
            errors.Add($"{name} is {value} but Memory.MaxMemoryBytes is {maxBytes}; a tenant's quota cannot exceed the cache's own bound.");
        }
    }

    /// <summary>A summary of the settings, with any password in <see cref="DragonflyUrl"/> masked.</summary>
    /// <returns>The summary.</returns>
    public override string ToString() =>
        $"Backend={Backend}, DragonflyUrl={Configuration.DragonflyEndpoint.Mask(DragonflyUrl)}, MaxSize={MaxSize}, Ttl={Ttl}, " +
        $"EnableSharding={EnableSharding}, ShardCount={ShardCount}, TenantPlacement={Dragonfly?.TenantPlacement ?? Cache.TenantPlacement.Spread}, EnableValidation={EnableValidation}, EnableRecovery={EnableRecovery}";
}
