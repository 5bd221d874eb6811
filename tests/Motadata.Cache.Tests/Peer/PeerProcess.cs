using System.Diagnostics;

namespace Motadata.Cache.Tests.Peer;

/// <summary>
/// A second OS process holding its own cache on the same server (<see cref="PeerProgram"/>), driven over its
/// stdin and stdout. Every command waits for the peer's reply line before the test goes on, so the order of
/// operations across the two processes is set by acknowledgements, never by sleeping.
/// </summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    // Only so that a peer that hangs fails the test instead of hanging the run; not a timing assumption.
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);

    private readonly Process _process;

    private PeerProcess(Process process) => _process = process;

    public int ProcessId => _process.Id;

    public static async Task<PeerProcess> StartAsync(string dragonflyUrl, string keyPrefix, bool localLevel = false)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(typeof(PeerProgram).Assembly.Location);
        info.ArgumentList.Add(PeerProgram.Switch);
        info.ArgumentList.Add(dragonflyUrl);
        info.ArgumentList.Add(keyPrefix);
        if (localLevel)
        {
            info.ArgumentList.Add(PeerProgram.LocalLevelSwitch);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("The peer process did not start.");
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginErrorReadLine();
        var peer = new PeerProcess(process);
        Assert.Equal("ready", await peer.ReadLineAsync());
        return peer;
    }

    /// <summary>Sends one command and returns the peer's reply; fails the test on an <c>error</c> reply.</summary>
    public async Task<string> SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        var reply = await ReadLineAsync();
        Assert.False(reply.StartsWith("error", StringComparison.Ordinal), $"The peer failed '{command}': {reply}");
        return reply;
    }

    public Task<string> SetAsync(string? tenant, string key, string value) => SendAsync($"set {tenant ?? "-"} {key} {value}");

    /// <summary>The value the peer reads, or null on a miss.</summary>
    public async Task<string?> GetAsync(string? tenant, string key)
    {
        var reply = await SendAsync($"get {tenant ?? "-"} {key}");
        return reply == "miss" ? null : reply["value ".Length..];
    }

    public Task<string> DeleteAsync(string? tenant, string key) => SendAsync($"delete {tenant ?? "-"} {key}");

    public Task<string> InvalidateAsync(string? tenant, string pattern) => SendAsync($"invalidate {tenant ?? "-"} {pattern}");

    public Task<string> ClearAsync(string? tenant) => SendAsync($"clear {tenant ?? "-"}");

    /// <summary>The peer's <see cref="CacheStats.LocalHits"/> for a tenant (null: the whole cache).</summary>
    public async Task<long> LocalHitsAsync(string? tenant) => long.Parse((await SendAsync($"localhits {tenant ?? "-"}"))["ok ".Length..], System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await _process.StandardInput.WriteLineAsync("quit");
                await _process.StandardInput.FlushAsync();
                using var patience = new CancellationTokenSource(s_patience);
                await _process.WaitForExitAsync(patience.Token);
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            _process.Kill();
        }
        finally
        {
            _process.Dispose();
        }
    }

    private async Task<string> ReadLineAsync()
    {
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(s_patience);
        return line ?? throw new InvalidOperationException($"The peer process exited (code {(_process.HasExited ? _process.ExitCode : -1)}) without replying.");
    }
}
