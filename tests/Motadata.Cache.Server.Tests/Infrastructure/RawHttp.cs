using System.Net.Sockets;
using System.Text;

namespace Motadata.Cache.Server.Tests.Infrastructure;

/// <summary>
/// Sends a request written byte for byte over a socket, as <c>curl --path-as-is</c> does: HttpClient removes dot
/// segments and re-encodes the target before sending, so it cannot reproduce what a hostile client puts on the wire.
/// </summary>
public static class RawHttp
{
    /// <summary>Sends <c>METHOD target HTTP/1.1</c> with <paramref name="headers"/> and <paramref name="body"/>, and reads the whole answer.</summary>
    public static async Task<RawResponse> SendAsync(Uri baseAddress, string method, string target, string? apiKey = null, string? body = null, params string[] headers)
    {
        var request = new StringBuilder();
        request.Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n");
        request.Append("Host: ").Append(baseAddress.Authority).Append("\r\nConnection: close\r\n");
        if (apiKey is not null)
        {
            request.Append("Authorization: Bearer ").Append(apiKey).Append("\r\n");
        }

        foreach (var header in headers)
        {
            request.Append(header).Append("\r\n");
        }

        var bodyBytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        if (body is not null)
        {
            request.Append("Content-Type: application/json\r\nContent-Length: ").Append(bodyBytes.Length).Append("\r\n");
        }

        request.Append("\r\n");
        return await SendBytesAsync(baseAddress, [.. Encoding.Latin1.GetBytes(request.ToString()), .. bodyBytes]);
    }

    /// <summary>Sends <paramref name="bytes"/> as they are and reads the whole answer (the request should say <c>Connection: close</c>).</summary>
    public static async Task<RawResponse> SendBytesAsync(Uri baseAddress, byte[] bytes)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(bytes);
        using var answer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(answer);
        }
        catch (IOException)
        {
            // The server may reset the connection after refusing a request it could not read; what arrived counts.
        }

        return RawResponse.Parse(answer.ToArray());
    }
}
