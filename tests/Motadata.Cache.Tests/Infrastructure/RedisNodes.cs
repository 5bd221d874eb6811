namespace Motadata.Cache.Tests.Infrastructure;

/// <summary>
/// Several independent standalone <c>redis-server</c>s (no cluster manager), each a <see cref="RedisServer"/> that can be
/// paused, killed and restarted on its own, with one URL listing all of them, for sharding over independent nodes.
/// </summary>
public sealed class RedisNodes : IAsyncDisposable
{
    private readonly List<RedisServer> _nodes;

    private RedisNodes(List<RedisServer> nodes) => _nodes = nodes;

    /// <summary>The servers, in the order their endpoints appear in <see cref="Url"/>.</summary>
    public IReadOnlyList<RedisServer> Nodes => _nodes;

    /// <summary><c>dragonfly://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3</c>.</summary>
    public string Url => "dragonfly://" + string.Join(',', _nodes.Select(node => node.EndPoint));

    /// <summary>Every node's <c>host:port</c>, as written in <see cref="Url"/>.</summary>
    public IReadOnlyList<string> EndPoints => _nodes.Select(node => node.EndPoint).ToList();

    /// <summary>Starts <paramref name="count"/> standalone servers (three by default).</summary>
    public static async Task<RedisNodes> StartAsync(int count = 3)
    {
        var nodes = new List<RedisServer>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                nodes.Add(await RedisServer.StartAsync());
            }
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            throw;
        }

        return new RedisNodes(nodes);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}
