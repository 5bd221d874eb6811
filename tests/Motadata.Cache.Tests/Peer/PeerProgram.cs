using System.Globalization;

namespace Motadata.Cache.Tests.Peer;

/// <summary>
/// The test assembly's entry point, which the test runner never calls. Run as
/// <c>dotnet Motadata.Cache.Tests.dll --cache-peer &lt;dragonfly-url&gt; &lt;key-prefix&gt;</c>, it is a second OS process for
/// the cross-process tests: one <see cref="CacheMechanism"/> on that server, driven one line at a time over stdin,
/// answering each command with one line on stdout (see <see cref="PeerProcess"/>, the driving side).
/// </summary>
internal static class PeerProgram
{
    public const string Switch = "--cache-peer";

    /// <summary>The optional fourth argument: the peer's cache runs with the local level on (<see cref="CacheConfig.EnableLocalLevel"/>).</summary>
    public const string LocalLevelSwitch = "--local-level";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length is not (3 or 4) || args[0] != Switch || (args.Length == 4 && args[3] != LocalLevelSwitch))
        {
            // Started some other way (nothing else starts this assembly): do nothing.
            return args.Length == 0 ? 0 : 2;
        }

        await using var cache = new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = args[1],
            KeyPrefix = args[2],
            EnableLocalLevel = args.Length == 4,

            // Off, so a failure is an "error" reply the test sees, never a miss that could pass for the right answer.
            EnableRecovery = false,
            OperationTimeout = TimeSpan.FromSeconds(10),
        });
        var output = Console.Out;
        await output.WriteLineAsync("ready");
        await output.FlushAsync();
        while (await Console.In.ReadLineAsync() is { } line)
        {
            string reply;
            try
            {
                reply = await RunAsync(cache, line);
            }
#pragma warning disable CA1031 // Every failure is reported to the driving test, which fails on it.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                reply = "error " + exception.GetType().Name + ": " + exception.Message.ReplaceLineEndings(" ");
            }

            if (reply == "bye")
            {
                break;
            }

            await output.WriteLineAsync(reply);
            await output.FlushAsync();
        }

        return 0;
    }

    /// <summary>One command: <c>verb tenant [key-or-pattern [value...]]</c>, tenant <c>-</c> for the global namespace (or, for clear, everything).</summary>
    private static async Task<string> RunAsync(CacheMechanism cache, string line)
    {
        var parts = line.Split(' ', 4);
        var tenant = parts.Length > 1 && parts[1] != "-" ? parts[1] : null;
        return parts[0] switch
        {
            "set" => "ok " + await cache.SetAsync(parts[2], parts[3], tenantId: tenant),
            "get" => await cache.GetAsync<string>(parts[2], tenant) is { } value ? "value " + value : "miss",
            "delete" => "ok " + await cache.DeleteAsync(parts[2], tenant),
            "invalidate" => "ok " + (await cache.InvalidateAsync(parts[2], tenant)).ToString(CultureInfo.InvariantCulture),
            "clear" => "ok " + (await cache.ClearAsync(tenant)).ToString(CultureInfo.InvariantCulture),
            "localhits" => "ok " + cache.GetStats(tenant).LocalHits.ToString(CultureInfo.InvariantCulture),
            "quit" => "bye",
            _ => "error unknown command: " + line,
        };
    }
}
