using System.Text;

namespace Motadata.Cache.Server.Tests.Infrastructure;

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
