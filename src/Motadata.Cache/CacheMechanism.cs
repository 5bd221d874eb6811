using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Motadata.Cache.Internal;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores;
using Motadata.Cache.Stores.Tiers.Cluster;
using Motadata.Cache.Stores.Backends.Dragonfly;
using Motadata.Cache.Stores.Backends.Memory;
using Motadata.Cache.Stores.Tiers.Recovery;
using Motadata.Cache.Stores.Tiers.Sharded;
using Motadata.Cache.Stores.Tiers.TwoLevel;

namespace Motadata.Cache;

/// <summary>
/// A tenant-scoped cache over an interchangeable backend: the in-process memory store or Dragonfly. Every method
/// is thread-safe. Keys live in namespaces: <c>tenantId == null</c> is the global namespace, any other tenant id its
/// own, and no tenant can read, invalidate or clear another's keys.
/// </summary>
/// <remarks>
/// The memory backend holds values by reference (like <c>MemoryCache</c>): a cached object mutated after
/// <c>Set</c> is mutated in the cache too. The Dragonfly backend stores a serialized copy.
/// </remarks>
public sealed partial class CacheMechanism : IDisposable, IAsyncDisposable
{
    private readonly CacheConfig _config;
    private readonly ICacheStore _store;
    private readonly Telemetry.CacheTelemetry _telemetry;

    // The memory store, handed over by the composition root when it is the backend (it has no decorator): the hit
    // path calls it directly, because a call through ICacheStore.Read<T> is a generic virtual call, which costs more
    // than the rest of a memory hit. Everything else goes through _store.
    private readonly MemoryStore? _memoryStore;

    // The two-level store with the local level on (Dragonfly): the hit path serves its local level directly, as it does
    // the memory store, while the level may be served.
    private readonly TwoLevelStore? _localLevel;

    // The in-process store the one hit path reads (TryGetInline): the memory backend's store, or the local level's.
    private readonly MemoryStore? _inline;

    // The local level's own counters (its inlined hits, backplane, flushes), handed to it by the composition root and
    // read here as the LocalLevel section of the statistics; null without a local level.
    private readonly CacheCounters? _localCounters;

    // What recovers with recovery on (Dragonfly: one RecoveringStore, or a tier of them), for Health; handed over by
    // the composition root.
    private readonly IRecoveryState? _recovering;

    // The Dragonfly store when there is one (not sharded), for the one-walk usage of many tenants (/metrics).
    private readonly DragonflyStore? _dragonfly;
    private readonly CacheCounters _statistics = new();
    private readonly ConcurrentDictionary<FlightKey, object> _inFlight = new();
    private readonly CancellationTokenSource _disposing = new();
    private readonly ITimer _idleTenantTimer;
    private readonly int _maxKeyLength;
    private readonly TimeSpan _defaultTtl;
    private readonly ILogger _logger;
    private int _disposed;

    /// <summary>Builds a cache from <paramref name="config"/>, which is checked and copied.</summary>
    /// <param name="config">The settings; the cache keeps its own copy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    /// <exception cref="ArgumentException">One or more settings are bad; the message lists every one.</exception>
    public CacheMechanism(CacheConfig config)
        : this(config, backplane: null)
    {
    }

    /// <summary>A cache whose local level talks over <paramref name="backplane"/> (tests: an in-process bus) instead of Redis pub/sub.</summary>
    internal CacheMechanism(CacheConfig config, IBackplane? backplane)
    {
        if (config is null)
        {
            Throw.ArgumentNull(nameof(config));
        }

        config.Validate();
        _config = config.Clone();
        _maxKeyLength = _config.MaxKeyLength;
        _defaultTtl = _config.Ttl;
        TimeProvider = _config.TimeProvider ?? TimeProvider.System;
        _logger = (_config.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CacheMechanism>();
        var localCounters = new CacheCounters();
        (_store, _memoryStore, _recovering, _localLevel, _dragonfly) = CreateStore(_config, _statistics, localCounters, TimeProvider, backplane);
        _localCounters = _localLevel is null ? null : localCounters;
        _inline = _memoryStore ?? _localLevel?.Local;
        _telemetry = new Telemetry.CacheTelemetry(_config, _store.Name, _statistics, _localCounters);
        _store = _telemetry.Instrument(_store);
        _steadyHealth = new CacheHealth { Status = CacheHealthStatus.Healthy, Since = TimeProvider.GetUtcNow() };
        _idleTenantTimer = TimeProvider.CreateTimer(
            static state => ((CacheMechanism)state!).ReclaimIdleTenants(),
            this,
            IdleTenantInterval,
            IdleTenantInterval);
    }

    /// <summary>
    /// How often the counters of tenants that only missed are checked: those idle for a whole interval are folded
    /// away (see <see cref="CacheCounters.ReclaimIdle"/>).
    /// </summary>
    internal static TimeSpan IdleTenantInterval { get; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Entries and estimated bytes of <paramref name="tenants"/> and of the global namespace (under the empty string)
    /// in one walk of the server, whatever the number of tenants; null when the backend has no single Dragonfly store
    /// (memory, or sharded: ask <see cref="GetUsageAsync"/> per tenant).
    /// </summary>
    internal async ValueTask<Dictionary<string, StoreUsage>?> GetUsageByTenantAsync(IReadOnlySet<string> tenants, CancellationToken cancellationToken)
    {
        if (_dragonfly is null)
        {
            return null;
        }

        // 16 sampled keys per tenant: MEMORY USAGE of every key would cost a command per key per refresh.
        return await _dragonfly.GetUsageByTenantAsync(tenants, 16, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// True while this cache keeps counters of <paramref name="tenantId"/>: false for a tenant never used, one past the
    /// lookup-only bound, or one folded away as idle (see <see cref="CacheCounters.ReclaimIdle"/>). For /metrics,
    /// which stops reporting such a tenant so its series slot frees up.
    /// </summary>
    internal bool KeepsCountersOf(string tenantId) => _statistics.Find(tenantId) is not null;

    /// <summary>The Dragonfly store when there is one (not sharded), for tests.</summary>
    internal DragonflyStore? Dragonfly => _dragonfly;

    /// <summary>The cache's counters, for tests.</summary>
    internal CacheCounters Statistics => _statistics;

    /// <summary>The local level's own counters (null without a local level), for tests.</summary>
    internal CacheCounters? LocalStatistics => _localCounters;

    /// <summary>Folds away idle tenants that only missed (the timer's work; tests call it too). How many were folded.</summary>
    internal int ReclaimIdleTenants() =>
        _statistics.ReclaimIdle(_memoryStore is { } memory ? memory.HasSegment : null);

    /// <summary>The backend this cache stores into.</summary>
    public CacheBackend Backend => _config.Backend;

    /// <summary>The two-level store when the local level is on, for tests and benchmarks.</summary>
    internal TwoLevelStore? LocalLevel => _localLevel;

    /// <summary>A copy of the settings this cache was built with.</summary>
    public CacheConfig Config => _config.Clone();

    /// <summary>Where this cache reads time.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The value stored under <paramref name="key"/>, or <paramref name="defaultValue"/> on a miss.</summary>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace.</param>
    /// <param name="defaultValue">What to return on a miss.</param>
    /// <returns>The cached value, or <paramref name="defaultValue"/>.</returns>
    public T? Get<T>(string key, string? tenantId = null, T? defaultValue = default) =>
        TryGet(key, out T? value, tenantId) ? value : defaultValue;

    /// <summary>Looks <paramref name="key"/> up; true and the value on a hit.</summary>
    /// <typeparam name="T">The type the value was stored as; a value stored as another type is a miss.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="value">The cached value on a hit.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace.</param>
    /// <returns>True on a hit.</returns>
    public bool TryGet<T>(string key, [MaybeNullWhen(false)] out T value, string? tenantId = null)
    {
        if (_inline is { } inline)
        {
            // The text check (no lone surrogate) waits for a miss: a hit matched a key and tenant that were checked
            // when they were stored, so it cannot fail there, and the hit stays a few nanoseconds shorter.
            CheckKeyShape(key, tenantId);
            return TryGetInline(inline, key, tenantId, out value, out var segment) || TryGetPastInline(key, out value, tenantId, segment);
        }

        CheckKey(key, tenantId);
        return Count(_statistics.ForLookup(tenantId), _store.Read<T>(new CacheKey(tenantId, key)), out value);
    }

    /// <summary>
    /// The one hit path: a hit of the in-process store (the memory backend's, or the local level's while it may be
    /// served), the key's shape already checked. Counted on the segment's own counters, so the tenant is looked up
    /// once: the cache's counters on the memory backend, the local level's (its LocalLevel section) in front of Dragonfly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryGetInline<T>(MemoryStore inline, string key, string? tenantId, [MaybeNullWhen(false)] out T value, out TenantSegment? segment)
    {
        segment = inline.FindSegment(tenantId);
        return TryGetInSegment(inline, segment, key, out value);
    }

    /// <summary><see cref="TryGetInline"/> once the tenant's segment is known (a tenant view holds its own).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryGetInSegment<T>(MemoryStore inline, TenantSegment? segment, string key, [MaybeNullWhen(false)] out T value)
    {
        if (segment is not null && (_localLevel is null || _localLevel.IsServing) && inline.TryGet(segment, key, out value))
        {
            CountHit(segment.Counters);
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>
    /// <c>TryGet</c> after the in-process store missed: on the memory backend a miss (the store was asked), with the
    /// local level the server, through the store.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryGetPastInline<T>(string key, [MaybeNullWhen(false)] out T value, string? tenantId, TenantSegment? segment)
    {
        if (_localLevel is null)
        {
            // A segment exists only for a tenant id already checked in full (by Set, WarmCache or ForTenant).
            CheckKeyText(key, segment is null ? tenantId : null);
            CountMiss(segment?.Counters ?? _statistics.ForLookup(tenantId));
            value = default;
            return false;
        }

        CheckKeyText(key, tenantId);
        return Count(_statistics.ForLookup(tenantId), _store.Read<T>(new CacheKey(tenantId, key)), out value);
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any value there.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="value">The value; null is cached too.</param>
    /// <param name="ttl">How long it lives: null for <see cref="CacheConfig.Ttl"/>, <see cref="Timeout.InfiniteTimeSpan"/> for ever.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace.</param>
    /// <returns>
    /// True when stored; false when the value was refused (too large) or, with recovery on, the server is unreachable
    /// (<see cref="SetWithStatus{T}"/> tells which).
    /// </returns>
    public bool Set<T>(string key, T value, TimeSpan? ttl = null, string? tenantId = null) =>
        SetWithStatus(key, value, ttl, tenantId) == CacheWriteStatus.Stored;

    /// <summary>
    /// Stores <paramref name="value"/> under <paramref name="key"/> as <see cref="Set{T}(string, T, TimeSpan?, string?)"/> does, and says what became
    /// of it: <see cref="CacheWriteStatus.Stored"/>, <see cref="CacheWriteStatus.TooLarge"/> (the caller's to fix:
    /// nothing changed), or <see cref="CacheWriteStatus.Unavailable"/> (the backend is away and recovery is on; with
    /// recovery off that is a <see cref="CacheBackendException"/> instead).
    /// </summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="value">The value; null is cached too.</param>
    /// <param name="ttl">How long it lives: null for <see cref="CacheConfig.Ttl"/>, <see cref="Timeout.InfiniteTimeSpan"/> for ever.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace.</param>
    /// <returns>What became of the write.</returns>
    public CacheWriteStatus SetWithStatus<T>(string key, T value, TimeSpan? ttl = null, string? tenantId = null)
    {
        CheckKey(key, tenantId);
        var effectiveTtl = ResolveTtl(ttl);
        if (_memoryStore is { } memory)
        {
            // Straight to the tenant's segment, whose counters count the set: one tenant lookup, no generic virtual call.
            var segment = memory.Segment(tenantId);
            if (!memory.Set(segment, key, value, effectiveTtl))
            {
                return CacheWriteStatus.TooLarge;
            }

            CountSets(segment.Counters, 1);
            return CacheWriteStatus.Stored;
        }

        return CountWrite(_statistics.For(tenantId), _store.Write(new CacheKey(tenantId, key), value, effectiveTtl));
    }

    /// <summary>Removes <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace.</param>
    /// <returns>True when a live entry was removed.</returns>
    public bool Delete(string key, string? tenantId = null)
    {
        CheckKey(key, tenantId);
        var cacheKey = new CacheKey(tenantId, key);
        DetachFlights(cacheKey);
        return ResultOrThrow(_store.Delete(cacheKey));
    }

    /// <summary>
    /// Removes every key of one namespace that matches the Redis glob <paramref name="pattern"/>: <c>*</c>,
    /// <c>?</c>, <c>[abc]</c>, <c>[a-z]</c>, <c>[^a]</c>, and <c>\</c> to escape.
    /// </summary>
    /// <param name="pattern">The glob, such as <c>user_*</c>.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace only.</param>
    /// <returns>How many entries were removed.</returns>
    public long Invalidate(string pattern, string? tenantId = null)
    {
        var glob = CheckPattern(pattern, tenantId);
        DetachFlights(tenantId, glob);
        return ResultOrThrow(_store.Invalidate(tenantId, glob));
    }

    /// <summary>Removes a tenant's entries, or with no tenant everything this cache owns.</summary>
    /// <param name="tenantId">The tenant, or null for every namespace.</param>
    /// <returns>How many entries were removed.</returns>
    public long Clear(string? tenantId = null)
    {
        CheckTenant(tenantId);
        DetachFlights(tenantId);
        return ResultOrThrow(_store.Clear(tenantId));
    }

    /// <summary>
    /// Statistics for one tenant, or with no tenant for the whole cache: the counters this process keeps, never a
    /// server call. On the memory backend <see cref="CacheStats.Size"/> and <see cref="CacheStats.MemoryUsage"/> are
    /// the in-process figures; on Dragonfly they are 0 here: ask <see cref="GetUsageAsync"/> (or
    /// <see cref="GetStatsAsync"/>), which walks the server.
    /// </summary>
    /// <param name="tenantId">The tenant, or null for the whole cache.</param>
    /// <returns>A snapshot.</returns>
    public CacheStats GetStats(string? tenantId = null)
    {
        CheckTenant(tenantId);
        return BuildStats(tenantId);
    }

    /// <summary>Stores every pair (in bulk where the backend can batch). Every key is checked before anything is stored.</summary>
    /// <typeparam name="T">The values' type.</typeparam>
    /// <param name="keysAndValues">The pairs to store.</param>
    /// <param name="ttl">How long they live: null for <see cref="CacheConfig.Ttl"/>.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace.</param>
    /// <returns>How many were stored.</returns>
    public long WarmCache<T>(IEnumerable<KeyValuePair<string, T>> keysAndValues, TimeSpan? ttl = null, string? tenantId = null)
    {
        var entries = CheckWarmEntries(keysAndValues, tenantId, nameof(keysAndValues));
        var effectiveTtl = ResolveTtl(ttl);
        var stored = entries.Count == 0 ? 0 : ResultOrThrow(_store.WriteMany(tenantId, entries, effectiveTtl));
        CountSets(_statistics.For(tenantId), stored);
        return stored;
    }

    /// <summary>Stops background work, cancels running <see cref="GetOrSetAsync{T}"/> factories and releases the backend.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _idleTenantTimer.Dispose();
        _disposing.Cancel();
        _store.Dispose();
        _telemetry.Dispose();
        _disposing.Dispose();
    }

    /// <summary>Like <see cref="Dispose"/>, closing remote connections asynchronously.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _idleTenantTimer.DisposeAsync().ConfigureAwait(false);
        await _disposing.CancelAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
        _telemetry.Dispose();
        _disposing.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"CacheMechanism({_config})";

    /// <summary>
    /// The composition root of the store layer: the backend's store with its decorators, plus the two parts the facade
    /// talks to directly (the memory store's hit path, recovery's health), so nothing has to be found by unwrapping.
    /// </summary>
    private static (ICacheStore Store, MemoryStore? Memory, IRecoveryState? Recovering, TwoLevelStore? LocalLevel, DragonflyStore? Dragonfly) CreateStore(CacheConfig config, CacheCounters statistics, CacheCounters localCounters, TimeProvider time, IBackplane? backplane)
    {
        switch (config.Backend)
        {
            case CacheBackend.Dragonfly when config.EnableSharding && IndependentServers(config) is { } servers:
                // Independent servers, each with its own connection and recovery. One server shards by itself
                // (Dragonfly per core) and a cluster by slot, so those take the plain path below.
                CacheConfig.ThrowIfAny(config.PlacementProblems(servers));
                var sharded = CreateSharded(config, statistics, time);
                return (sharded, null, config.EnableRecovery ? sharded : null, null, null);
            case CacheBackend.Dragonfly:
                var dragonfly = new DragonflyStore(config, statistics);
                var (remote, recovery, health) = WithRecovery(dragonfly, config, statistics, time);
                if (config.LocalLevel is null)
                {
                    return (remote, null, recovery, null, dragonfly);
                }

                // The local level sits above recovery, so what recovery journals during an outage is announced only
                // after it has been replayed (see docs/two-level.md).
                // It counts on counters of its own (handed in), which the statistics read as the LocalLevel section.
                var twoLevel = new TwoLevelStore(remote, dragonfly.Keys, health, config, localCounters, time, backplane ?? new Backplane(config));
                return (twoLevel, null, recovery, twoLevel, dragonfly);
            case CacheBackend.Memory:
                var memory = new MemoryStore(config, statistics, time);
                return (memory, memory, null, null, null);
            default:
                throw new NotSupportedException($"The {config.Backend} backend is not available in this build.");
        }
    }

    /// <summary>
    /// With <see cref="CacheConfig.EnableSharding"/>, how many independent servers <see cref="CacheConfig.DragonflyUrl"/>
    /// names, or null when sharding is the server's own: one host (one Dragonfly shards per core), or hosts that answer
    /// as one Redis Cluster (it shards by slot). Only then can <see cref="CacheConfig.ShardCount"/> be wrong. Hosts
    /// that do not answer at all are taken as independent servers.
    /// </summary>
    private static int? IndependentServers(CacheConfig config)
    {
        var endpoint = Configuration.DragonflyEndpoint.Parse(config.DragonflyUrl!);
        if (endpoint.Hosts.Count < 2)
        {
            return null;
        }

        using var probe = new DragonflyConnection(config, new CacheCounters(), endpoint);
        return probe.IsCluster() ? null : endpoint.Hosts.Count;
    }

    /// <summary>Dragonfly with its recovery, when on: one per server, or on a cluster one per primary (see CacheMechanism.Composition.cs).</summary>
    private static (ICacheStore Store, IRecoveryState? Recovering, IHealthSignal? Health) WithRecovery(DragonflyStore dragonfly, CacheConfig config, CacheCounters statistics, TimeProvider time)
    {
        if (!config.EnableRecovery)
        {
            return (dragonfly, null, null);
        }

        if (dragonfly.Connection.IsCluster())
        {
            // A recovery per primary, so one primary down costs only its slots' keys.
            var cluster = CreateCluster(dragonfly, config, statistics, time);
            return (cluster, cluster, cluster);
        }

        var recovering = Recover(dragonfly, dragonfly, config, statistics, time);
        return (recovering, recovering, recovering);
    }

    /// <summary>
    /// A snapshot of the counters: every kind of the table summed over the scope, the sections whose feature is on, and
    /// the in-process usage (memory backend, local level). No server call.
    /// </summary>
    private CacheStats BuildStats(string? tenantId)
    {
        var counts = new long[CounterKinds.Count];
        foreach (var info in CounterKinds.All)
        {
            counts[(int)info.Kind] = _statistics.Total(info.Kind, tenantId);
        }

        var whole = tenantId is null;
        var sections = new List<CounterSection>(3);
        long localSize = 0, localBytes = 0;
        if (_localCounters is { } local && _localLevel is { } level)
        {
            // The local level's own table: hits on the facade's inlined path are hits the cache's table never saw;
            // hits through the store are there already (the facade counted their outcome) and are local hits too.
            var inlined = local.Total(CounterKind.Hits, tenantId);
            counts[(int)CounterKind.Hits] += inlined;
            foreach (var info in CounterKinds.All)
            {
                if (info.Section == CounterSection.LocalLevel)
                {
                    counts[(int)info.Kind] = local.Total(info.Kind, tenantId);
                }
            }

            counts[(int)CounterKind.LocalHits] += inlined;
            var usage = level.Local.GetUsage(tenantId);
            (localSize, localBytes) = (usage.Size, usage.MemoryBytes);
            sections.Add(CounterSection.LocalLevel);
        }

        if (whole && _config.Backend == CacheBackend.Dragonfly)
        {
            sections.Add(CounterSection.Dragonfly);
        }

        if (whole && _config.Backend == CacheBackend.Dragonfly && _config.EnableRecovery)
        {
            sections.Add(CounterSection.Recovery);
        }

        var (maxSize, maxBytes) = Bounds(tenantId);
        var held = _memoryStore is { } memory ? memory.GetUsage(tenantId) : default;
        return new CacheStats(tenantId, counts, [.. sections], localSize, localBytes)
        {
            Size = held.Size,
            MemoryUsage = held.MemoryBytes,
            MaxSize = maxSize,
            MaxMemoryBytes = maxBytes,
        };
    }

    /// <summary>A store's usage as the public <see cref="CacheUsage"/>.</summary>
    private static CacheUsage ToUsage(string? tenantId, in StoreUsage usage) => new()
    {
        TenantId = tenantId,
        Size = usage.Size,
        MemoryUsage = usage.MemoryBytes,
        Nodes = usage.Nodes is { Count: > 0 } nodes
            ? [.. nodes.Select(static node => new CacheNodeStats { Endpoint = node.Endpoint, Size = node.Size, MemoryUsage = node.MemoryBytes })]
            : [],
    };

    /// <summary>The bounds a scope is held to on the memory backend: the cache's own for the whole cache, the quota for a tenant.</summary>
    private (long? MaxSize, long? MaxMemoryBytes) Bounds(string? tenantId)
    {
        if (_config.Backend != CacheBackend.Memory)
        {
            return (null, null);
        }

        if (tenantId is null)
        {
            return (_config.MaxSize, _config.MaxMemoryBytes);
        }

        var (maxSize, maxBytes) = _config.QuotaFor(tenantId);
        return (maxSize, maxBytes);
    }

    /// <summary>What is wrong with a key of a batch, for a message; null when it is allowed.</summary>
    private string? DescribeBadKey(string? key) =>
        key is null ? "null"
        : key.Length == 0 ? "empty"
        : key.Length > _maxKeyLength ? $"{key.Length} characters long"
        : !Utf16Text.IsWellFormed(key) ? "not well-formed Unicode (it holds a lone surrogate)"
        : null;

    private string KeyRule => $"every key must be a non-empty string of whole Unicode characters, at most {_maxKeyLength} characters long (CacheConfig.MaxKeyLength)";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckKey(string key, string? tenantId)
    {
        CheckKeyShape(key, tenantId);
        CheckKeyText(key, tenantId);
    }

    /// <summary>Null, empty and length checks of the key and tenant, and disposal: what every call checks first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckKeyShape(string key, string? tenantId)
    {
        if (key is null)
        {
            Throw.KeyNull(nameof(key));
        }

        if (key.Length == 0)
        {
            Throw.KeyEmpty(nameof(key));
        }

        if (key.Length > _maxKeyLength)
        {
            Throw.KeyTooLong(nameof(key), key.Length, _maxKeyLength);
        }

        CheckTenantShape(tenantId);
    }

    /// <summary>That the key and tenant are well-formed Unicode (no lone surrogate).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckKeyText(string key, string? tenantId)
    {
        if (!Utf16Text.IsWellFormed(key))
        {
            Throw.KeyNotWellFormed(nameof(key));
        }

        if (tenantId is not null && !Utf16Text.IsWellFormed(tenantId))
        {
            Throw.TenantNotWellFormed(nameof(tenantId));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckTenant(string? tenantId)
    {
        CheckTenantShape(tenantId);
        if (tenantId is not null && !Utf16Text.IsWellFormed(tenantId))
        {
            Throw.TenantNotWellFormed(nameof(tenantId));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckTenantShape(string? tenantId)
    {
        if (tenantId is not null)
        {
            if (tenantId.Length == 0)
            {
                Throw.TenantEmpty(nameof(tenantId));
            }

            if (tenantId.Length > CacheConfig.MaxTenantIdLength)
            {
                Throw.TenantTooLong(nameof(tenantId), tenantId.Length, CacheConfig.MaxTenantIdLength);
            }
        }

        if (_disposed != 0)
        {
            Throw.Disposed();
        }
    }

    private GlobPattern CheckPattern(string pattern, string? tenantId)
    {
        if (pattern is null)
        {
            Throw.PatternNull(nameof(pattern));
        }

        if (pattern.Length == 0)
        {
            Throw.PatternEmpty(nameof(pattern));
        }

        if (pattern.Length > _maxKeyLength)
        {
            Throw.PatternTooLong(nameof(pattern), pattern.Length, _maxKeyLength);
        }

        CheckTenant(tenantId);
        return GlobPattern.Parse(pattern);
    }

    private List<KeyValuePair<string, T>> CheckWarmEntries<T>(IEnumerable<KeyValuePair<string, T>> keysAndValues, string? tenantId, string paramName)
    {
        if (keysAndValues is null)
        {
            Throw.ArgumentNull(paramName);
        }

        CheckTenant(tenantId);
        var entries = keysAndValues.TryGetNonEnumeratedCount(out var count)
            ? new List<KeyValuePair<string, T>>(count)
            : [];
        foreach (var pair in keysAndValues)
        {
            // Check every key before storing any, so a rejected call changes nothing.
            if (DescribeBadKey(pair.Key) is { } problem)
            {
                throw new ArgumentException(
                    $"Entry {entries.Count} of {paramName} has a key that is {problem}; {KeyRule}. Nothing was stored.",
                    paramName);
            }

            entries.Add(pair);
        }

        return entries;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TimeSpan ResolveTtl(TimeSpan? ttl, [CallerArgumentExpression(nameof(ttl))] string paramName = "ttl")
    {
        if (ttl is not { } value)
        {
            return _defaultTtl;
        }

        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            Throw.TtlOutOfRange(paramName, value);
        }

        return value;
    }

    /// <summary>The key of a running <see cref="GetOrSetAsync{T}"/> factory: the same key asked for as two types runs two factories.</summary>
    private readonly record struct FlightKey(CacheKey Key, Type ValueType);
}
