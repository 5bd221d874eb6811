using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Hosting;

/// <summary>
/// Issue 21: a client that aborts its upload is the client's doing, not the server's failure. Each abort was an
/// error-level log entry with a stack trace (300 aborts, 300 of them); now it is one Information line. Run as the
/// operator runs the service (a child process with its console log), so the test reads what an operator reads.
/// </summary>
public sealed partial class AbortedUploadTests
{
    private const int Aborts = 5;
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AbortedUploadsAreOneInformationLineEachWithNoErrorAndNoStackTrace()
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string>
        {
            // The request log (to know when each upload has ended) and ASP.NET Core's own Debug line for an abort.
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware"] = "Debug",
        }, "--urls=http://127.0.0.1:0");
        var output = await server.WaitForOutputAsync("Motadata.Cache service listening on", ProcessTimeout);
        var address = new Uri(ListeningAddress().Match(output).Groups[1].Value + "/");

        for (var i = 0; i < Aborts; i++)
        {
            await AbortUploadAsync(address, $"/v1/tenants/acme/keys/upload-{i}");
        }

        // Ordered by the log itself, not a sleep: the request log says when each upload has ended.
        var deadline = DateTime.UtcNow + ProcessTimeout;
        while (FinishedUploads().Count(server.Output) < Aborts && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var log = server.Output;
        Assert.True(FinishedUploads().Count(log) == Aborts, log);

        // Each abort is one line, at Debug (ASP.NET Core's, for a cancelled read) or Information (the service's own).
        var abortLines = Regex.Count(log, "The request was aborted by the client", RegexOptions.None) + Regex.Count(log, "ended early: the client closed", RegexOptions.None);
        Assert.True(abortLines == Aborts, log);
        Assert.DoesNotContain("fail:", log, StringComparison.Ordinal);
        Assert.DoesNotContain("crit:", log, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
        using var client = new HttpClient { BaseAddress = address };
        await Http.AssertProblemAsync(await client.GetAsync("v1/tenants/acme/keys/upload-0"), HttpStatusCode.NotFound);
    }

    private static async Task AbortUploadAsync(Uri address, string target)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"PUT {target} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n"));
        await stream.WriteAsync(new byte[4096]);
        await stream.FlushAsync();

        // Closed mid-body, as a client killed mid-upload does (its kernel sends FIN). A reset (RST) cancels the request
        // instead, which ASP.NET Core's exception handler already logs at Debug, one line, so there is nothing to wait for.
        tcp.Client.Shutdown(SocketShutdown.Both);
        tcp.Client.Close();
    }

    [GeneratedRegex(@"Request finished HTTP/1\.1 PUT \S+/upload-\d+ ")]
    private static partial Regex FinishedUploads();

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningAddress();
}
