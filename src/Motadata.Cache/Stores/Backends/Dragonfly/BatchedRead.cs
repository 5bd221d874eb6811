using StackExchange.Redis;

namespace Motadata.Cache.Stores.Backends.Dragonfly;

/// <summary>One read waiting in a <see cref="DragonflyReadBatcher"/> batch: what to do with its answer.</summary>
internal abstract class BatchedRead
{
    /// <summary>
    /// The server answered (<paramref name="value"/>, null when the key is absent), or could not
    /// (<paramref name="failure"/>, the client's exception). Called once, on the thread that took the reply; must not throw.
    /// </summary>
    public abstract void Complete(RedisValue value, Exception? failure);
}
