namespace Motadata.Cache.Stores.Tiers.TwoLevel;

/// <summary>
/// One in-process channel shared by several <see cref="InMemoryBackplane"/>s: the backplane of a fleet of caches in
/// one test process, with the faults a real one has, made on purpose. <see cref="Drop"/> loses chosen messages (a gap
/// in a sender's sequence), <see cref="InMemoryBackplane.Cut"/> and <see cref="InMemoryBackplane.Restore"/> break and
/// restore one member's connection (its listener hears of both), and <see cref="InMemoryBackplane.Deaf"/> keeps a
/// member's subscription silent without telling it (a half-open socket, a frozen server).
/// </summary>
internal sealed class InMemoryBackplaneBus
{
    private readonly Lock _gate = new();
    private readonly List<InMemoryBackplane> _members = [];

    /// <summary>
    /// Decides, per message and receiving member, whether the message is lost on its way to that member (its text
    /// is <see cref="BackplaneMessage.Encode"/>'s); null loses nothing.
    /// </summary>
    public Func<InMemoryBackplane, string, bool>? Drop { get; set; }

    /// <summary>A new member: one instance's transport.</summary>
    public InMemoryBackplane Connect() => new(this);

    internal void Join(InMemoryBackplane member)
    {
        lock (_gate)
        {
            if (!_members.Contains(member))
            {
                _members.Add(member);
            }
        }
    }

    internal void Leave(InMemoryBackplane member)
    {
        lock (_gate)
        {
            _members.Remove(member);
        }
    }

    /// <summary>Delivers to every subscribed member, in one order for all (under the bus's lock).</summary>
    internal void Publish(string message)
    {
        lock (_gate)
        {
            var drop = Drop;
            foreach (var member in _members)
            {
                if (drop is null || !drop(member, message))
                {
                    member.Deliver(message);
                }
            }
        }
    }
}
