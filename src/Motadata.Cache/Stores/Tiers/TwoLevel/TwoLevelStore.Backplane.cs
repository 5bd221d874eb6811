using Motadata.Cache.Keys;

namespace Motadata.Cache.Stores.Tiers.TwoLevel;

// What other instances' messages and the backplane's state do to the local level. Every drop moves the generations
// first, so a fill already on its way cannot land after it.
internal sealed partial class TwoLevelStore
{
    public void OnMessage(in BackplaneMessage message)
    {
        switch (message.Kind)
        {
            case BackplaneMessageKind.Key:
                var key = new CacheKey(message.TenantId, message.Subject);
                DropKey(key);
                Leases?.Wake(key);
                return;
            case BackplaneMessageKind.Keys when BackplaneMessage.SplitKeys(message.Subject) is { } keys:
                foreach (var warmed in keys)
                {
                    DropKey(new CacheKey(message.TenantId, warmed));
                }

                break;
            case BackplaneMessageKind.Pattern when TryParse(message.Subject, out var pattern):
                DropMatching(message.TenantId, pattern);
                break;
            case BackplaneMessageKind.Tenant:
                DropTenant(message.TenantId, everything: false);
                break;
            default:
                // Everything, or a message whose subject cannot be read: drop it all.
                DropTenant(null, everything: true);
                break;
        }

        Leases?.WakeAll();
    }

    public void OnUnsafe(bool serveAgain)
    {
        lock (_safety)
        {
            _serving = false;
            _generations.BumpAll();
            Local.Clear((string?)null);
            _statistics.RecordLocalFlush();
            _serving = serveAgain;
        }
    }

    public void OnSubscriptionConfirmed()
    {
        lock (_safety)
        {
            _generations.BumpAll();
            Local.Clear((string?)null);
            _serving = true;
        }
    }

    public void OnTick()
    {
        if (_owesAnnouncement && RecoveryHealthy() && _backplane.IsConfirmed)
        {
            _owesAnnouncement = false;
            if (!_backplane.Publish(BackplaneMessageKind.Everything, null, string.Empty))
            {
                _owesAnnouncement = true;
            }
        }
    }

    private static bool TryParse(string pattern, out GlobPattern glob)
    {
        try
        {
            glob = GlobPattern.Parse(pattern);
            return true;
        }
        catch (ArgumentException)
        {
            glob = null!;
            return false;
        }
    }
}
