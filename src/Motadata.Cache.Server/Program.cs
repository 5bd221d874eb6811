using Motadata.Cache.Server.Configuration;
using Motadata.Cache.Server.Hosting;

namespace Motadata.Cache.Server;

/// <summary>Runs the service: <c>dotnet run --project src/Motadata.Cache.Server</c>.</summary>
internal static class Program
{
    /// <summary>Builds, starts and runs the service until it is stopped (Ctrl+C, SIGTERM).</summary>
    /// <param name="args">Command-line settings, such as <c>--urls=http://127.0.0.1:8080</c> or <c>--Cache:Backend=Dragonfly</c>.</param>
    /// <returns>0 after a clean stop, 2 for bad settings, 3 when it cannot listen.</returns>
    public static async Task<int> Main(string[] args)
    {
        WebApplication app;
        try
        {
            app = CacheServer.Build(args);
        }
        catch (ServiceConfigurationException exception)
        {
            await Console.Error.WriteLineAsync($"Motadata.Cache.Server cannot start. {exception.Message}");
            return CacheServer.ConfigurationErrorExitCode;
        }

        await using (app)
        {
            try
            {
                await CacheServer.StartAsync(app);
            }
            catch (ServiceConfigurationException exception)
            {
                await Console.Error.WriteLineAsync($"Motadata.Cache.Server cannot start. {exception.Message}");
                return CacheServer.ConfigurationErrorExitCode;
            }
            catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException)
            {
                // Kestrel reports a port in use as an IOException, and passes other bind failures on as SocketExceptions.
                await Console.Error.WriteLineAsync($"Motadata.Cache.Server cannot listen: {exception.Message} Choose another address with --urls (such as --urls http://127.0.0.1:8081).");
                return CacheServer.ListenErrorExitCode;
            }

            await app.WaitForShutdownAsync();
        }

        return 0;
    }
}
