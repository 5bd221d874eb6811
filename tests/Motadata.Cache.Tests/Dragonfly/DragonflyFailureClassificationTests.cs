using Motadata.Cache.Stores.Backends.Dragonfly;
using StackExchange.Redis;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// Which exceptions from the client count as the server failing (and so, with recovery on, become a miss and a
/// journaled removal) and which stay the caller's. StackExchange.Redis cancels the tasks of commands it drops when a
/// connection fails under load, which a paused-server test saw reach a caller of <c>ClearAsync</c> through recovery.
/// </summary>
public sealed class DragonflyFailureClassificationTests
{
    [Fact]
    public void ACommandTheClientCancelledOnItsOwnIsABackendFailure()
    {
        Assert.True(DragonflyConnection.IsBackendFailure(new TaskCanceledException()));
        Assert.True(DragonflyConnection.IsBackendFailure(new OperationCanceledException()));
        Assert.True(DragonflyConnection.IsBackendFailure(new AggregateException(new TaskCanceledException(), new RedisConnectionException(ConnectionFailureType.SocketFailure, "gone"))));
    }

    [Fact]
    public async Task TheCallersOwnCancellationIsNotABackendFailure()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var exception = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.Delay(Timeout.Infinite, cancelled.Token));

        Assert.False(DragonflyConnection.IsBackendFailure(exception));
        Assert.False(DragonflyConnection.IsBackendFailure(new OperationCanceledException(cancelled.Token)));
    }

    [Fact]
    public void AnExceptionOfTheCallersOwnCodeIsNotABackendFailure()
    {
        Assert.False(DragonflyConnection.IsBackendFailure(new InvalidOperationException("a serializer's bug")));
        Assert.False(DragonflyConnection.IsBackendFailure(new ArgumentException("bad")));
    }
}
