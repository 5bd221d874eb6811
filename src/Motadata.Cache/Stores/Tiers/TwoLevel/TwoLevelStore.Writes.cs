using Motadata.Cache.Keys;

namespace Motadata.Cache.Stores.Tiers.TwoLevel;

// Writes and removals: the server first, then the local level, then the announcement (see Announce for when that
// waits until recovery has replayed an outage's journal).
internal sealed partial class TwoLevelStore
{
    public WriteOutcome Write<T>(in CacheKey key, T value, TimeSpan ttl)
    {
        var stripe = LocalGenerations.StripeOf(key);
        var snapshot = _generations.Take(stripe);
        var started = _time.GetTimestamp();
        var outcome = _inner.Write(key, value, ttl);
        if (AfterWrite(key, value, ttl, outcome, stripe, snapshot, started))
        {
            Announce(BackplaneMessageKind.Key, key.TenantId, key.Key);
        }

        return outcome;
    }

    public async ValueTask<WriteOutcome> WriteAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var stripe = LocalGenerations.StripeOf(key);
        var snapshot = _generations.Take(stripe);
        var started = _time.GetTimestamp();
        var outcome = await _inner.WriteAsync(key, value, ttl, cancellationToken).ConfigureAwait(false);
        if (AfterWrite(key, value, ttl, outcome, stripe, snapshot, started))
        {
            await AnnounceAsync(BackplaneMessageKind.Key, key.TenantId, key.Key).ConfigureAwait(false);
        }

        return outcome;
    }

    public StoreOutcome<bool> Extend(in CacheKey key, byte[] expected, TimeSpan ttl)
    {
        var outcome = _inner.Extend(key, expected, ttl);
        DropKey(key);
        Announce(BackplaneMessageKind.Key, key.TenantId, key.Key);
        return outcome;
    }

    public async ValueTask<StoreOutcome<bool>> ExtendAsync(CacheKey key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var outcome = await _inner.ExtendAsync(key, expected, ttl, cancellationToken).ConfigureAwait(false);
        DropKey(key);
        await AnnounceAsync(BackplaneMessageKind.Key, key.TenantId, key.Key).ConfigureAwait(false);
        return outcome;
    }

    public StoreOutcome<bool> Delete(in CacheKey key)
    {
        var outcome = _inner.Delete(key);
        DropKey(key);
        if (!RemovedNothing(outcome))
        {
            Announce(BackplaneMessageKind.Key, key.TenantId, key.Key);
        }

        return outcome;
    }

    public async ValueTask<StoreOutcome<bool>> DeleteAsync(CacheKey key, CancellationToken cancellationToken)
    {
        var outcome = await _inner.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        DropKey(key);
        if (!RemovedNothing(outcome))
        {
            await AnnounceAsync(BackplaneMessageKind.Key, key.TenantId, key.Key).ConfigureAwait(false);
        }

        return outcome;
    }

    /// <summary>
    /// The server answered that the key was not there, with recovery healthy: no instance can hold a copy newer than
    /// that answer (every write and removal is announced), so a message would only cost every instance a drop. A
    /// failed or journaled delete is announced (or owed) as before.
    /// </summary>
    private bool RemovedNothing(in StoreOutcome<bool> outcome) =>
        outcome.Failure is null && !outcome.Result && RecoveryHealthy();

    public StoreOutcome<long> Invalidate(string? tenantId, GlobPattern pattern)
    {
        var outcome = _inner.Invalidate(tenantId, pattern);
        DropMatching(tenantId, pattern);
        Announce(BackplaneMessageKind.Pattern, tenantId, pattern.Pattern);
        return outcome;
    }

    public async ValueTask<StoreOutcome<long>> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken)
    {
        var outcome = await _inner.InvalidateAsync(tenantId, pattern, cancellationToken).ConfigureAwait(false);
        DropMatching(tenantId, pattern);
        await AnnounceAsync(BackplaneMessageKind.Pattern, tenantId, pattern.Pattern).ConfigureAwait(false);
        return outcome;
    }

    public StoreOutcome<long> Clear(string? tenantId)
    {
        var outcome = _inner.Clear(tenantId);
        DropTenant(tenantId, everything: tenantId is null);
        Announce(tenantId is null ? BackplaneMessageKind.Everything : BackplaneMessageKind.Tenant, tenantId, string.Empty);
        return outcome;
    }

    public async ValueTask<StoreOutcome<long>> ClearAsync(string? tenantId, CancellationToken cancellationToken)
    {
        var outcome = await _inner.ClearAsync(tenantId, cancellationToken).ConfigureAwait(false);
        DropTenant(tenantId, everything: tenantId is null);
        await AnnounceAsync(tenantId is null ? BackplaneMessageKind.Everything : BackplaneMessageKind.Tenant, tenantId, string.Empty).ConfigureAwait(false);
        return outcome;
    }

    public StoreOutcome<long> WriteMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl)
    {
        var outcome = _inner.WriteMany(tenantId, entries, ttl);
        var (kind, subject) = DropWarmed(tenantId, entries);
        Announce(kind, tenantId, subject);
        return outcome;
    }

    public async ValueTask<StoreOutcome<long>> WriteManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var outcome = await _inner.WriteManyAsync(tenantId, entries, ttl, cancellationToken).ConfigureAwait(false);
        var (kind, subject) = DropWarmed(tenantId, entries);
        await AnnounceAsync(kind, tenantId, subject).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>
    /// The local side of a write: the value goes into the local level when nothing else touched its key while it
    /// went to the server (two writes racing could otherwise leave the older one here), else the key is dropped.
    /// False when nothing changed anywhere (a value refused for its size), so there is nothing to announce.
    /// </summary>
    private bool AfterWrite<T>(in CacheKey key, T value, TimeSpan ttl, in WriteOutcome outcome, int stripe, LocalGenerations.Snapshot snapshot, long started)
    {
        if (outcome.Status == CacheWriteStatus.TooLarge)
        {
            return false;
        }

        var generation = _generations.Bump(stripe);
        var mine = new LocalGenerations.Snapshot(snapshot.Global, generation);
        if (outcome.IsStored && generation == snapshot.Stripe + 1 && _serving && _generations.Unchanged(stripe, mine))
        {
            var lifetime = LocalLifetime(ttl, started);
            if (lifetime > TimeSpan.Zero)
            {
                Local.Set(key, value, lifetime);
                if (!_generations.Unchanged(stripe, mine))
                {
                    Local.Delete(key);
                }

                return true;
            }
        }

        Local.Delete(key);
        return true;
    }

    private void DropKey(in CacheKey key)
    {
        _generations.Bump(LocalGenerations.StripeOf(key));
        Local.Delete(key);
    }

    private void DropMatching(string? tenantId, GlobPattern pattern)
    {
        _generations.BumpAll();
        Local.Invalidate(tenantId, pattern);
    }

    private void DropTenant(string? tenantId, bool everything)
    {
        _generations.BumpAll();
        if (everything)
        {
            Local.Clear((string?)null);
        }
        else if (Local.FindSegment(tenantId) is { } segment)
        {
            // The segment's own entries only: for the global namespace, Clear(null) would empty every tenant too.
            Local.Clear(segment);
        }
    }

    private (BackplaneMessageKind Kind, string Subject) DropWarmed<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries)
    {
        if (entries.Count > MaxAnnouncedKeys)
        {
            DropTenant(tenantId, everything: false);
            return (BackplaneMessageKind.Tenant, string.Empty);
        }

        var keys = new string[entries.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = entries[i].Key;
            DropKey(new CacheKey(tenantId, keys[i]));
        }

        return (BackplaneMessageKind.Keys, BackplaneMessage.JoinKeys(keys));
    }

    /// <summary>
    /// Tells the other instances. While recovery is handling an outage the change may sit in its journal, not on the
    /// server: announcing it now would let another instance re-read the old value and keep it. So it is owed, and
    /// paid as one "drop everything" once recovery is healthy again (<see cref="OnTick"/>); so is an announcement the
    /// backplane could not send.
    /// </summary>
    private void Announce(BackplaneMessageKind kind, string? tenantId, string subject)
    {
        if (!RecoveryHealthy() || !_backplane.Publish(kind, tenantId, subject))
        {
            _owesAnnouncement = true;
        }
    }

    /// <inheritdoc cref="Announce"/>
    private async ValueTask AnnounceAsync(BackplaneMessageKind kind, string? tenantId, string subject)
    {
        if (!RecoveryHealthy() || !await _backplane.PublishAsync(kind, tenantId, subject).ConfigureAwait(false))
        {
            _owesAnnouncement = true;
        }
    }
}
