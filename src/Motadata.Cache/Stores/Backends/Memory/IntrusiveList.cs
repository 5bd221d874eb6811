using System.Runtime.CompilerServices;

namespace Motadata.Cache.Stores.Backends.Memory;

/// <summary>Which pair of a <see cref="MemoryNode"/>'s link fields an <see cref="IntrusiveList{TLinks}"/> threads through.</summary>
internal interface INodeLinks
{
    static abstract ref MemoryNode? Previous(MemoryNode node);

    static abstract ref MemoryNode? Next(MemoryNode node);
}

/// <summary>The W-TinyLFU region links (window, probation, protected).</summary>
internal readonly struct PolicyLinks : INodeLinks
{
    public static ref MemoryNode? Previous(MemoryNode node) => ref node.Previous;

    public static ref MemoryNode? Next(MemoryNode node) => ref node.Next;
}

/// <summary>The links of a tenant's own recency order (kept only for a tenant with a quota).</summary>
internal readonly struct TenantLinks : INodeLinks
{
    public static ref MemoryNode? Previous(MemoryNode node) => ref node.TenantPrevious;

    public static ref MemoryNode? Next(MemoryNode node) => ref node.TenantNext;
}

/// <summary>The links of a timer wheel bucket.</summary>
internal readonly struct TimerLinks : INodeLinks
{
    public static ref MemoryNode? Previous(MemoryNode node) => ref node.TimerPrevious;

    public static ref MemoryNode? Next(MemoryNode node) => ref node.TimerNext;
}

/// <summary>
/// The one intrusive list of the memory store: a circular doubly linked list through a pair of each node's own link
/// fields (chosen by <typeparamref name="TLinks"/>, so one node can be in a W-TinyLFU region, its tenant's order and a
/// timer wheel bucket at once), around a sentinel node, oldest first. A node is in a list of a kind exactly when its
/// links of that kind are set, so it can be taken out (<see cref="Unlink"/>) without knowing which list holds it, as
/// a timer wheel needs. Changed only under the store's maintenance lock.
/// </summary>
/// <typeparam name="TLinks">The link pair: a struct, so each use is compiled to direct field accesses.</typeparam>
internal sealed class IntrusiveList<TLinks>
    where TLinks : struct, INodeLinks
{
    private readonly MemoryNode _sentinel = MemoryNode.NewSentinel();
    private readonly NodeQueue _queue;

    /// <param name="queue">The region a node in this list is in (set on add, cleared on remove); <see cref="NodeQueue.None"/> for lists that are not regions.</param>
    public IntrusiveList(NodeQueue queue = NodeQueue.None)
    {
        _queue = queue;
        TLinks.Previous(_sentinel) = _sentinel;
        TLinks.Next(_sentinel) = _sentinel;
    }

    /// <summary>How many nodes were added and not removed through <see cref="Remove"/> (a static <see cref="Unlink"/> does not count).</summary>
    public int Count { get; private set; }

    /// <summary>The oldest node, or null.</summary>
    public MemoryNode? First => Real(TLinks.Next(_sentinel)!);

    /// <summary>The newest node, or null.</summary>
    public MemoryNode? Last => Real(TLinks.Previous(_sentinel)!);

    /// <summary>True when <paramref name="node"/> is in a list of this kind.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsLinked(MemoryNode node) => TLinks.Next(node) is not null;

    /// <summary>The node after <paramref name="node"/> in its list (newer), or null at the end.</summary>
    public static MemoryNode? After(MemoryNode node) => TLinks.Next(node) is { } next ? Real(next) : null;

    /// <summary>Takes <paramref name="node"/> out of whichever list of this kind holds it (without counting it out).</summary>
    public static void Unlink(MemoryNode node)
    {
        var previous = TLinks.Previous(node)!;
        var next = TLinks.Next(node)!;
        TLinks.Next(previous) = next;
        TLinks.Previous(next) = previous;
        TLinks.Previous(node) = null;
        TLinks.Next(node) = null;
    }

    public void AddLast(MemoryNode node)
    {
        Link(node);
        if (_queue != NodeQueue.None)
        {
            node.Queue = _queue;
        }

        Count++;
    }

    public void Remove(MemoryNode node)
    {
        Unlink(node);
        if (_queue != NodeQueue.None)
        {
            node.Queue = NodeQueue.None;
        }

        Count--;
    }

    public void MoveToEnd(MemoryNode node)
    {
        if (TLinks.Next(node) != _sentinel)
        {
            Unlink(node);
            Link(node);
        }
    }

    /// <summary>Forgets every node (their links are left as they are: for a store being disposed, whose nodes are dropped).</summary>
    public void Clear()
    {
        TLinks.Previous(_sentinel) = _sentinel;
        TLinks.Next(_sentinel) = _sentinel;
        Count = 0;
    }

    /// <summary>
    /// Empties the list and returns its first node; the nodes stay chained to each other (walk them with
    /// <see cref="TakeNext"/>), and the list can take new nodes at once. For a timer wheel bucket.
    /// </summary>
    public MemoryNode? DetachAll()
    {
        var first = Real(TLinks.Next(_sentinel)!);
        if (first is not null)
        {
            // The last node's next is the sentinel: TakeNext stops there.
            Clear();
        }

        return first;
    }

    /// <summary>Clears the links of <paramref name="node"/>, taken by <see cref="DetachAll"/>, and returns the node after it (null at the end).</summary>
    public static MemoryNode? TakeNext(MemoryNode node)
    {
        var next = TLinks.Next(node)!;
        TLinks.Previous(node) = null;
        TLinks.Next(node) = null;
        return next.IsSentinel ? null : next;
    }

    private static MemoryNode? Real(MemoryNode node) => node.IsSentinel ? null : node;

    private void Link(MemoryNode node)
    {
        var last = TLinks.Previous(_sentinel)!;
        TLinks.Previous(node) = last;
        TLinks.Next(node) = _sentinel;
        TLinks.Next(last) = node;
        TLinks.Previous(_sentinel) = node;
    }
}
