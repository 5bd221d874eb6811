using StackExchange.Redis;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// A caller of the read batcher: keeps the answer, then runs its continuation (which may throw or block) inline, as a
/// resumed caller's continuation runs on the thread that took the reply.
/// </summary>
internal sealed class CallerRead(Action<string?>? continuation) : Stores.Backends.Dragonfly.BatchedRead
{
    private readonly TaskCompletionSource<string?> _value = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<string?> Value => _value.Task;

    public ManualResetEventSlim Answered { get; } = new();

    public ManualResetEventSlim Returned { get; } = new();

    public override void Complete(RedisValue value, Exception? failure)
    {
        if (failure is null)
        {
            _value.SetResult(value);
        }
        else
        {
            _value.SetException(failure);
        }

        Answered.Set();
        try
        {
            continuation?.Invoke(value);
        }
        finally
        {
            Returned.Set();
        }
    }
}
