namespace Motadata.Cache.Stores.Memory;

/// <summary>
/// One W-TinyLFU region (window, probation or protected): a doubly linked list through the nodes themselves, least
/// recently used first. Changed only under the store's maintenance lock.
/// </summary>
internal sealed class AccessOrderList
{
    private readonly NodeQueue _queue;

    public AccessOrderList(NodeQueue queue) => _queue = queue;

    public MemoryNode? First { get; private set; }

    public MemoryNode? Last { get; private set; }

    public int Count { get; private set; }

    public void AddLast(MemoryNode node)
    {
        node.Queue = _queue;
        node.Next = null;
        node.Previous = Last;
        if (Last is null)
        {
            First = node;
        }
        else
        {
            Last.Next = node;
        }

        Last = node;
        Count++;
    }

    public void Remove(MemoryNode node)
    {
        if (node.Previous is null)
        {
            First = node.Next;
        }
        else
        {
            node.Previous.Next = node.Next;
        }

        if (node.Next is null)
        {
            Last = node.Previous;
        }
        else
        {
            node.Next.Previous = node.Previous;
        }

        node.Previous = null;
        node.Next = null;
        node.Queue = NodeQueue.None;
        Count--;
    }

    public void MoveToEnd(MemoryNode node)
    {
        if (node != Last)
        {
            Remove(node);
            AddLast(node);
        }
    }
}
