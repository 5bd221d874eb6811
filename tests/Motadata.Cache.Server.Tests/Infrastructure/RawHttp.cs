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

/// <summary>An HTTP/1.1 answer read off the wire.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body, string Text)
{
    public string? ContentType => Headers.TryGetValue("Content-Type", out var value) ? value : null;

    public static RawResponse Parse(byte[] answer)
    {
        var headerEnd = answer.AsSpan().IndexOf("\r\n\r\n"u8);
        var head = Encoding.Latin1.GetString(answer, 0, headerEnd < 0 ? answer.Length : headerEnd);
        var body = headerEnd < 0 ? [] : answer[(headerEnd + 4)..];
        var lines = head.Split("\r\n");
        var status = lines[0].Split(' ') is { Length: > 1 } parts && int.TryParse(parts[1], out var code) ? code : 0;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Unchunk(body);
        }

        var bodyText = Encoding.UTF8.GetString(body);
        return new RawResponse(status, headers, bodyText, head + "\r\n\r\n" + bodyText);
    }

    /// <summary>Asserts an RFC 9457 problem answer with <paramref name="status"/> and returns its detail.</summary>
    public string AssertProblem(int status)
    {
        Assert.True(status == Status, $"Expected {status} but got {Status}: {Text}");
        Assert.StartsWith("application/problem+json", ContentType ?? string.Empty, StringComparison.Ordinal);
        using var problem = System.Text.Json.JsonDocument.Parse(Body);
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        return problem.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? string.Empty : string.Empty;
    }

    private static byte[] Unchunk(byte[] body)
    {
        var result = new MemoryStream();
        var position = 0;
        while (position < body.Length)
        {
            var lineEnd = body.AsSpan(position).IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }

            var size = Convert.ToInt32(Encoding.ASCII.GetString(body, position, lineEnd).Split(';')[0], 16);
            if (size == 0)
            {
                break;
            }

            result.Write(body, position + lineEnd + 2, size);
            position += lineEnd + 2 + size + 2;
        }

        return result.ToArray();
    }
}
