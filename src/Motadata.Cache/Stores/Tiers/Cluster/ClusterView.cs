using System.Globalization;
using System.Net;
using System.Text;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Tiers.Cluster;

/// <summary>
/// Who owns each hash slot, as the cluster itself says it: <c>CLUSTER NODES</c> asked of every node the client is
/// connected to (primaries and replicas alike, so a dead primary is never the one asked), merged slot by slot by
/// configuration epoch the way the cluster settles conflicts (the claim of the highest epoch wins). A replica promoted
/// by a failover claims its slots with a new, higher epoch, so one live node that has heard of the promotion is
/// enough for the view to show it.
/// </summary>
internal sealed class ClusterView
{
    public const int SlotCount = 16_384;

    private ClusterView(string?[] owners, long[] epochs, bool isSettled, HashSet<string> failing)
    {
        Owners = owners;
        Epochs = epochs;
        IsSettled = isSettled;
        Failing = failing;
        var builder = new StringBuilder();
        var primaries = new List<string>();
        for (var slot = 0; slot < SlotCount; slot++)
        {
            var owner = owners[slot];
            if (slot == 0 || owner != owners[slot - 1])
            {
                builder.Append(slot).Append('=').Append(owner ?? "-").Append(';');
            }

            if (owner is not null && !primaries.Contains(owner))
            {
                primaries.Add(owner);
            }
        }

        Shape = builder.ToString();
        Primaries = primaries;
    }

    /// <summary>The owner (<c>host:port</c>) of each slot; null where no node claims it.</summary>
    public string?[] Owners { get; }

    /// <summary>The configuration epoch of each slot's owner's claim.</summary>
    public long[] Epochs { get; }

    /// <summary>The nodes some live node flags as failing (<c>fail</c>, or <c>fail?</c>: it stopped answering).</summary>
    public IReadOnlySet<string> Failing { get; }

    /// <summary>Every node that owns at least one slot, each once.</summary>
    public IReadOnlyList<string> Primaries { get; }

    /// <summary>No slot is being migrated (no <c>[slot-&gt;-id]</c> or <c>[slot-&lt;-id]</c> in any node's own line).</summary>
    public bool IsSettled { get; }

    /// <summary>Who owns what, as text: two views with the same shape route every key the same way.</summary>
    public string Shape { get; }

    /// <summary>
    /// Asks every connected node of <paramref name="multiplexer"/> for <c>CLUSTER NODES</c> at once and merges the
    /// answers; waits at most <paramref name="timeout"/>, and once one node has answered, a moment more for the others
    /// (a paused node must not hold the view up). Null when no node answered.
    /// </summary>
    public static async Task<ClusterView?> ReadAsync(IConnectionMultiplexer multiplexer, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pending = new List<Task<RedisResult>>();
        foreach (var server in multiplexer.GetServers())
        {
            if (server.IsConnected)
            {
                pending.Add(server.ExecuteAsync("CLUSTER", ["NODES"], CommandFlags.None));
            }
        }

        if (pending.Count == 0)
        {
            return null;
        }

        var all = Task.WhenAll(pending);
        var deadline = Task.Delay(timeout, cancellationToken);
        var first = await Task.WhenAny(Task.WhenAny(pending), deadline).ConfigureAwait(false);
        if (first != deadline && !all.IsCompleted)
        {
            // Others that answer within a moment are merged too; one that is paused is not waited for.
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken), deadline).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var answers = new List<string>();
        foreach (var task in pending)
        {
            if (task.IsCompletedSuccessfully && (string?)task.Result is { } text)
            {
                answers.Add(text);
            }
            else if (!task.IsCompleted)
            {
                // Observed later, so an abandoned command's failure is not an unobserved task exception.
                _ = task.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }

        return answers.Count == 0 ? null : Parse(answers);
    }

    /// <summary>Merges <c>CLUSTER NODES</c> replies (one per node asked).</summary>
    internal static ClusterView Parse(IEnumerable<string> replies)
    {
        var owners = new string?[SlotCount];
        var epochs = new long[SlotCount];
        Array.Fill(epochs, -1);
        var settled = true;
        var failing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var reply in replies)
        {
            foreach (var rawLine in reply.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // <id> <ip:port@cport[,hostname]> <flags> <primary> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>...
                var fields = rawLine.Split(' ');
                if (fields.Length < 9 || !HasFlag(fields[2], "master") || HasFlag(fields[2], "noaddr")
                    || !long.TryParse(fields[6], NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
                {
                    continue;
                }

                var address = fields[1];
                var cut = address.IndexOfAny(['@', ',']);
                if (cut >= 0)
                {
                    address = address[..cut];
                }

                if (HasFlag(fields[2], "fail") || HasFlag(fields[2], "fail?"))
                {
                    failing.Add(address);
                }

                for (var i = 8; i < fields.Length; i++)
                {
                    var range = fields[i];
                    if (range.StartsWith('['))
                    {
                        settled &= !HasFlag(fields[2], "myself");
                        continue;
                    }

                    var dash = range.IndexOf('-', StringComparison.Ordinal);
                    if (!int.TryParse(dash < 0 ? range : range[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                        || !int.TryParse(dash < 0 ? range : range[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var to))
                    {
                        continue;
                    }

                    for (var slot = Math.Max(0, from); slot <= Math.Min(SlotCount - 1, to); slot++)
                    {
                        if (epoch > epochs[slot])
                        {
                            epochs[slot] = epoch;
                            owners[slot] = address;
                        }
                    }
                }
            }
        }

        return new ClusterView(owners, epochs, settled, failing);
    }

    /// <summary>The client's endpoint for <paramref name="address"/> (<c>host:port</c>), or null when it cannot be read.</summary>
    public static EndPoint? EndPointOf(string address) => EndPointCollection.TryParse(address);

    private static bool HasFlag(string flags, string flag)
    {
        foreach (var part in flags.Split(','))
        {
            if (part == flag)
            {
                return true;
            }
        }

        return false;
    }
}
