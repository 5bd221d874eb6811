using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Motadata.Cache;

/// <summary>
/// How a <see cref="CacheMechanism"/> is built. A plain settings class: every setting is checked once, when the
/// cache is constructed, and one <see cref="ArgumentException"/> lists every bad one. The cache keeps its own copy,
/// so changing this object afterwards changes nothing.
/// </summary>
public sealed class CacheConfig
{
    /// <summary>The most characters a tenant id may have.</summary>
    public const int MaxTenantIdLength = 256;

    private Dictionary<string, TenantQuota> _tenantQuotas = new(StringComparer.Ordinal);

    /// <summary>Which store holds the entries.</summary>
    /// <value>Default <see cref="CacheBackend.Memory"/>.</value>
    public CacheBackend Backend { get; set; } = CacheBackend.Memory;

    /// <summary>
    /// Where Dragonfly listens, required with <see cref="CacheBackend.Dragonfly"/>:
    /// <c>dragonfly://[user:password@]host[:port][/db]</c>, <c>dragonflys://</c> for TLS, <c>redis://</c> and
    /// <c>rediss://</c> as synonyms, and a comma-separated list of <c>host:port</c> after the scheme for several endpoints.
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
    /// On the Dragonfly backend, spreads keys over the several independent servers listed in
    /// <see cref="DragonflyUrl"/> by rendezvous hashing on tenant and key, each server with its own connection and
    /// recovery (not for a Redis Cluster, which shards itself: see docs/scale-out.md). On the memory backend it is
    /// accepted for compatibility and has no effect (the store keeps one segment per tenant).
    /// </summary>
    /// <value>Default false.</value>
    public bool EnableSharding { get; set; }

    /// <summary>
    /// With <see cref="EnableSharding"/> on the Dragonfly backend, how many servers <see cref="DragonflyUrl"/> lists
    /// (it must equal that count, so a server left out of the URL by mistake is caught at construction). Checked but
    /// without effect on the memory backend.
    /// </summary>
    /// <value>Default 16.</value>
    public int ShardCount { get; set; } = 16;

    /// <summary>
    /// How a tenant's keys are laid out on the Dragonfly backend: spread over a cluster's slots by key, or co-located
    /// in one slot per tenant with a hash tag. Changing it changes every server key, so entries written under the other
    /// layout are no longer found (they expire by their TTL).
    /// </summary>
    /// <value>Default <see cref="TenantPlacement.Spread"/>.</value>
    public TenantPlacement TenantPlacement { get; set; } = TenantPlacement.Spread;

    /// <summary>Adds a checksum to every value written to a remote backend and treats a value that fails it as a miss.</summary>
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

    /// <summary>
    /// The most bytes the memory backend holds, by its estimate (strings 2 bytes a character, byte arrays their
    /// length, other objects a flat 64 bytes, plus the key). Null for no byte bound.
    /// </summary>
    /// <value>Default null.</value>
    public long? MaxMemoryBytes { get; set; }

    /// <summary>
    /// The most entries each tenant may hold on the memory backend; a tenant at its quota evicts its own entries,
    /// never another tenant's. Applies to named tenants, not the global namespace. Null for no per-tenant bound;
    /// <see cref="TenantQuotas"/> overrides it per tenant.
    /// </summary>
    /// <value>Default null.</value>
    public int? MaxSizePerTenant { get; set; }

    /// <summary>
    /// The most bytes (by the estimate of <see cref="MaxMemoryBytes"/>) each tenant may hold on the memory backend; a
    /// tenant at its quota evicts its own entries, and a value larger than the quota is refused. Applies to named
    /// tenants, not the global namespace. Null for no per-tenant byte bound; <see cref="TenantQuotas"/> overrides it.
    /// </summary>
    /// <value>Default null.</value>
    public long? MaxMemoryBytesPerTenant { get; set; }

    /// <summary>
    /// Per-tenant overrides of <see cref="MaxSizePerTenant"/> and <see cref="MaxMemoryBytesPerTenant"/>, by tenant id
    /// (ordinal). Binds from configuration as <c>Cache:TenantQuotas:&lt;tenant&gt;:MaxSize</c> and
    /// <c>Cache:TenantQuotas:&lt;tenant&gt;:MaxMemoryBytes</c>.
    /// </summary>
    /// <value>Default empty.</value>
    public IDictionary<string, TenantQuota> TenantQuotas => _tenantQuotas;

    /// <summary>The largest serialized value a remote backend stores; a larger one is refused (<c>Set</c> returns false).</summary>
    /// <value>Default 1 MiB (1,048,576 bytes).</value>
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>What every key this cache writes to a remote backend starts with, so it never touches another application's keys.</summary>
    /// <value>Default <c>"mc:"</c>.</value>
    public string KeyPrefix { get; set; } = "mc:";

    /// <summary>How long one call to a remote backend may take before it counts as failed.</summary>
    /// <value>Default one second.</value>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Sends the asynchronous single-key reads (<c>GetAsync</c>, <c>TryGetAsync</c>, ...) that arrive while another one
    /// is on its way to a Dragonfly server as one <c>MGET</c>, at most <see cref="ReadBatchMaxKeys"/> keys each. A read
    /// that finds nothing in flight goes at once as a plain <c>GET</c>, so a lone caller waits no longer; under many
    /// concurrent callers the server answers one command instead of dozens and the client dispatches one completion
    /// instead of one per read. A batched read is sent after it was asked for, so it sees every write and removal that
    /// completed before, as a <c>GET</c> would. Not used on a Redis Cluster (one <c>MGET</c> must stay in one slot) nor
    /// by synchronous reads. See docs/dragonfly.md.
    /// </summary>
    /// <value>Default true.</value>
    public bool EnableReadBatching { get; set; } = true;

    /// <summary>The most keys one batched read (<see cref="EnableReadBatching"/>) carries; a full batch is sent without waiting.</summary>
    /// <value>Default 128.</value>
    public int ReadBatchMaxKeys { get; set; } = 128;

    /// <summary>
    /// Reads Dragonfly's replies on StackExchange.Redis's own shared socket threads instead of the .NET thread pool.
    /// The thread pool (the default) is faster: the thread that reads a reply also resumes its callers, with no
    /// hand-over between two pools (here, about half the latency of a lone read, and more throughput under many
    /// callers). Dedicated threads keep reading replies when the application starves the thread pool by blocking many
    /// of its threads (sync over async, or many concurrent synchronous <c>Get</c>/<c>Set</c> calls), so fewer calls
    /// time out while the pool grows: turn this on for such an application. See docs/dragonfly.md.
    /// </summary>
    /// <value>Default false (the .NET thread pool).</value>
    public bool DedicatedIOThreads { get; set; }

    /// <summary>How long connecting to a remote backend may take.</summary>
    /// <value>Default five seconds.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the memory backend reclaims expired entries that nobody read; at most one day.</summary>
    /// <value>Default 30 seconds.</value>
    public TimeSpan ExpirationScanInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Writes values for a remote backend; null uses System.Text.Json.</summary>
    /// <value>Default null (System.Text.Json with its default options).</value>
    public ICacheSerializer? Serializer { get; set; }

    /// <summary>How many invalidations made while the server is unreachable are kept for replay; past that, the tenants concerned are cleared on reconnect.</summary>
    /// <value>Default 10,000.</value>
    public int RecoveryJournalCapacity { get; set; } = 10_000;

    /// <summary>How long the circuit breaker stays open before it lets one call probe the server.</summary>
    /// <value>Default five seconds.</value>
    public TimeSpan RecoveryBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many replays of one journaled removal may fail while the server otherwise answers before recovery stops
    /// retrying it: a delete or invalidation is then widened to a clear of its namespace (a cold cache rather than a
    /// stale one), and a clear that keeps failing too is abandoned, logged (event 5006) and counted
    /// (<see cref="CacheStats.AbandonedRemovals"/>), so one removal the server cannot finish never keeps recovery,
    /// or the server, busy forever. Failures during an outage (the server answers nothing) do not count.
    /// </summary>
    /// <value>Default 3.</value>
    public int RecoveryMaxReplayAttempts { get; set; } = 3;

    /// <summary>Entries of the in-process tier that serves this instance's own writes while the server is away; 0 turns it off.</summary>
    /// <value>Default 0 (off).</value>
    public int RecoveryFallbackMaxSize { get; set; }

    /// <summary>
    /// Keeps an in-process level (the memory store) in front of Dragonfly, kept coherent across instances by a
    /// backplane (Redis pub/sub on the same server): a value read or written here is served from memory until another
    /// instance changes or removes it, its server TTL runs out, or <see cref="LocalMaxLifetime"/> passes. Dragonfly
    /// backend only. See docs/two-level.md.
    /// </summary>
    /// <value>Default false.</value>
    public bool EnableLocalLevel { get; set; }

    /// <summary>The most entries the local level holds (<see cref="EnableLocalLevel"/>), an exact bound with W-TinyLFU eviction.</summary>
    /// <value>Default 10,000.</value>
    public int LocalMaxSize { get; set; } = 10_000;

    /// <summary>The most bytes the local level holds, by the memory backend's estimate (see <see cref="MaxMemoryBytes"/>); null for no byte bound.</summary>
    /// <value>Default null.</value>
    public long? LocalMaxMemoryBytes { get; set; }

    /// <summary>
    /// The longest a value lives in the local level; it never lives there past its remaining TTL on the server either.
    /// Bounds how long a value can be served locally if an invalidation is ever lost in a way the backplane cannot detect.
    /// </summary>
    /// <value>Default five minutes.</value>
    public TimeSpan LocalMaxLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Runs a <c>GetOrSetAsync</c> factory once in the whole fleet of instances sharing the server, not once per
    /// instance: the first instance to miss takes a lease on the server and runs it; the others wait for its value
    /// (woken by the backplane) and take over if the lease runs out. Needs <see cref="EnableLocalLevel"/>.
    /// </summary>
    /// <value>Default false.</value>
    public bool EnableFleetSingleFlight { get; set; }

    /// <summary>
    /// How long a fleet single-flight lease lives unless its holder renews it (it does, every third of this, while its
    /// factory runs): how long the others wait before taking over from a holder that died.
    /// </summary>
    /// <value>Default 10 seconds.</value>
    public TimeSpan FleetLeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A key (16 bytes or more) for signing every value written to a remote backend with HMAC-SHA256; values this
    /// application did not sign are then treated as corrupt. Null signs nothing.
    /// </summary>
    /// <value>Default null.</value>
#pragma warning disable CA1819 // A key is bytes; the cache copies it at construction.
    public byte[]? SigningKey { get; set; }
#pragma warning restore CA1819

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

    /// <summary>A copy of these settings, so later changes to this object reach no cache built from it.</summary>
    /// <returns>The copy.</returns>
    public CacheConfig Clone()
    {
        var copy = (CacheConfig)MemberwiseClone();
        copy.SigningKey = SigningKey?.ToArray();
        copy._tenantQuotas = new Dictionary<string, TenantQuota>(_tenantQuotas.Count, StringComparer.Ordinal);
        foreach (var (tenantId, quota) in _tenantQuotas)
        {
            copy._tenantQuotas[tenantId] = quota?.Clone()!;
        }
        return copy;
    }

    /// <summary>
    /// Checks every setting and throws one <see cref="ArgumentException"/> that lists every bad one with what is
    /// allowed.
    /// </summary>
    /// <exception cref="ArgumentException">One or more settings are out of range.</exception>
    public void Validate()
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

        if (EnableSharding && ShardCount < 1)
        {
            errors.Add($"ShardCount is {ShardCount}; with EnableSharding it must be at least 1.");
        }
        else if (EnableSharding && Backend == CacheBackend.Memory && MaxSize > 0 && ShardCount > MaxSize)
        {
            errors.Add($"ShardCount is {ShardCount} but MaxSize is {MaxSize}; every shard needs room for at least one entry, so ShardCount must not exceed MaxSize.");
        }

        if (!Enum.IsDefined(TenantPlacement))
        {
            errors.Add($"TenantPlacement is {(int)TenantPlacement}; use TenantPlacement.Spread or TenantPlacement.CoLocated.");
        }

        if (EnableSharding && Backend == CacheBackend.Dragonfly && ShardCount >= 1
            && Configuration.DragonflyEndpoint.TryParse(DragonflyUrl, out var shardedEndpoint, out _))
        {
            var nodes = shardedEndpoint.Hosts.Count;
            if (nodes < 2)
            {
                errors.Add($"EnableSharding is on with the Dragonfly backend but DragonflyUrl names {nodes} server; sharding spreads keys over several independent servers, so list at least two (\"dragonfly://host1:6379,host2:6379\"), or turn EnableSharding off.");
            }
            else if (ShardCount != nodes)
            {
                errors.Add($"ShardCount is {ShardCount} but DragonflyUrl names {nodes} servers; with EnableSharding on the Dragonfly backend each shard is one server, so ShardCount must be {nodes}.");
            }
        }

        if (EnableSharding && ShardCount > 1024)
        {
            errors.Add($"ShardCount is {ShardCount}; at most 1024 shards are allowed.");
        }

        if (MaxKeyLength < 1)
        {
            errors.Add($"MaxKeyLength is {MaxKeyLength}; it must be at least 1.");
        }

        if (MaxMemoryBytes is { } maxBytes && maxBytes <= 0)
        {
            errors.Add($"MaxMemoryBytes is {maxBytes}; use a positive number of bytes, or null for no byte bound.");
        }

        ValidateQuotas(errors);

        if (MaxValueBytes < 1)
        {
            errors.Add($"MaxValueBytes is {MaxValueBytes}; it must be at least 1.");
        }

        if (string.IsNullOrEmpty(KeyPrefix))
        {
            errors.Add("KeyPrefix is empty; a prefix such as \"mc:\" keeps this cache's keys apart from other applications' on a shared server.");
        }

        if (OperationTimeout <= TimeSpan.Zero || OperationTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"OperationTimeout is {OperationTimeout}; use a positive TimeSpan of at most 10 minutes.");
        }

        if (ConnectTimeout <= TimeSpan.Zero || ConnectTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"ConnectTimeout is {ConnectTimeout}; use a positive TimeSpan of at most 10 minutes.");
        }

        if (ExpirationScanInterval <= TimeSpan.Zero || ExpirationScanInterval > TimeSpan.FromDays(1))
        {
            // The scan runs on a timer, and timers refuse periods past about 49 days; a day is plenty.
            errors.Add($"ExpirationScanInterval is {ExpirationScanInterval}; use a positive TimeSpan of at most one day.");
        }

        if (RecoveryJournalCapacity < 1)
        {
            errors.Add($"RecoveryJournalCapacity is {RecoveryJournalCapacity}; it must be at least 1.");
        }

        if (RecoveryBreakDuration < TimeSpan.FromMilliseconds(500) || RecoveryBreakDuration > TimeSpan.FromDays(1))
        {
            errors.Add($"RecoveryBreakDuration is {RecoveryBreakDuration}; use between 0.5 seconds and one day.");
        }

        if (RecoveryMaxReplayAttempts is < 1 or > 100)
        {
            errors.Add($"RecoveryMaxReplayAttempts is {RecoveryMaxReplayAttempts}; use between 1 and 100 replays of one removal before it is widened, then abandoned.");
        }

        if (RecoveryFallbackMaxSize < 0)
        {
            errors.Add($"RecoveryFallbackMaxSize is {RecoveryFallbackMaxSize}; use 0 to turn the fallback tier off or a positive entry count.");
        }

        ValidateLocalLevel(errors);
        if (ReadBatchMaxKeys < 2 || ReadBatchMaxKeys > 10_000)
        {
            errors.Add($"ReadBatchMaxKeys is {ReadBatchMaxKeys}; use 2 to 10,000 keys (to send every read alone, set EnableReadBatching to false).");
        }

        if (SigningKey is { Length: < 16 })
        {
            errors.Add($"SigningKey is {SigningKey.Length} bytes long; use at least 16 random bytes, or null to sign nothing.");
        }

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

        if (errors.Count > 0)
        {
            throw new ArgumentException(
                "The cache configuration is not valid:" + Environment.NewLine + "- " + string.Join(Environment.NewLine + "- ", errors),
                "config");
        }
    }

    /// <summary>The quota of <paramref name="tenantId"/> (a named tenant): its override where it has one, else the per-tenant defaults.</summary>
    internal (int? MaxSize, long? MaxMemoryBytes) QuotaFor(string tenantId)
    {
        if (_tenantQuotas.TryGetValue(tenantId, out var quota) && quota is not null)
        {
            return (quota.MaxSize ?? MaxSizePerTenant, quota.MaxMemoryBytes ?? MaxMemoryBytesPerTenant);
        }

        return (MaxSizePerTenant, MaxMemoryBytesPerTenant);
    }

    private void ValidateQuotas(List<string> errors)
    {
        var anyQuota = MaxSizePerTenant is not null || MaxMemoryBytesPerTenant is not null || _tenantQuotas.Count > 0;
        if (anyQuota && Backend == CacheBackend.Dragonfly)
        {
            errors.Add("MaxSizePerTenant, MaxMemoryBytesPerTenant and TenantQuotas apply to the memory backend only; remove them, or use CacheBackend.Memory.");
        }

        CheckSizeQuota("MaxSizePerTenant", MaxSizePerTenant, errors);
        CheckBytesQuota("MaxMemoryBytesPerTenant", MaxMemoryBytesPerTenant, errors);
        foreach (var (tenantId, quota) in _tenantQuotas)
        {
            var name = $"TenantQuotas[\"{tenantId}\"]";
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
            CheckBytesQuota(name + ".MaxMemoryBytes", quota.MaxMemoryBytes, errors);
        }
    }

    private void ValidateLocalLevel(List<string> errors)
    {
        if (EnableLocalLevel && Backend == CacheBackend.Memory)
        {
            errors.Add("EnableLocalLevel is true with the memory backend, which is already in-process; use it with CacheBackend.Dragonfly, or turn it off.");
        }

        if (EnableLocalLevel && EnableSharding && Backend == CacheBackend.Dragonfly)
        {
            errors.Add("EnableLocalLevel is true with EnableSharding over several Dragonfly servers; the backplane runs on one server (or one cluster), so use one of the two.");
        }

        if (EnableFleetSingleFlight && !EnableLocalLevel)
        {
            errors.Add("EnableFleetSingleFlight is true without EnableLocalLevel; waiting instances are woken by the local level's backplane, so turn both on.");
        }

        if (FleetLeaseDuration < TimeSpan.FromMilliseconds(100) || FleetLeaseDuration > TimeSpan.FromMinutes(10))
        {
            errors.Add($"FleetLeaseDuration is {FleetLeaseDuration}; use between 100 milliseconds and 10 minutes.");
        }

        if (LocalMaxSize < 1)
        {
            errors.Add($"LocalMaxSize is {LocalMaxSize}; it must be at least 1.");
        }

        if (LocalMaxMemoryBytes is { } localBytes && localBytes <= 0)
        {
            errors.Add($"LocalMaxMemoryBytes is {localBytes}; use a positive number of bytes, or null for no byte bound.");
        }

        if (LocalMaxLifetime <= TimeSpan.Zero || LocalMaxLifetime > TimeSpan.FromDays(1))
        {
            errors.Add($"LocalMaxLifetime is {LocalMaxLifetime}; use a positive TimeSpan of at most one day (it bounds how long a value lives in the local level).");
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

    private void CheckBytesQuota(string name, long? quota, List<string> errors)
    {
        if (quota is not { } value)
        {
            return;
        }

        if (value <= 0)
        {
            errors.Add($"{name} is {value}; use a positive number of bytes, or null for no per-tenant byte bound.");
        }
        else if (MaxMemoryBytes is > 0 and { } maxBytes && value > maxBytes)
        {
            errors.Add($"{name} is {value} but MaxMemoryBytes is {maxBytes}; a tenant's quota cannot exceed the cache's own bound.");
        }
    }

    /// <summary>A summary of the settings, with any password in <see cref="DragonflyUrl"/> masked.</summary>
    /// <returns>The summary.</returns>
    public override string ToString() =>
        $"Backend={Backend}, DragonflyUrl={Configuration.DragonflyEndpoint.Mask(DragonflyUrl)}, MaxSize={MaxSize}, Ttl={Ttl}, " +
        $"EnableSharding={EnableSharding}, ShardCount={ShardCount}, TenantPlacement={TenantPlacement}, EnableValidation={EnableValidation}, EnableRecovery={EnableRecovery}";
}
