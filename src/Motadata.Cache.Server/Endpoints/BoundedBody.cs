using System.Buffers;

namespace Motadata.Cache.Server.Endpoints;

/// <summary>
/// Reads a request body that may not exceed a limit: refused up front when <c>Content-Length</c> says it is too
/// large, and refused as soon as a body without one (chunked) goes past it, before anything is stored.
/// </summary>
internal static class BoundedBody
{
    private const int ChunkBytes = 16 * 1024;

    /// <summary>Reads the body into a new array, leaving <paramref name="headerRoom"/> bytes free at its start.</summary>
    /// <param name="request">The request.</param>
    /// <param name="limit">The most body bytes accepted.</param>
    /// <param name="headerRoom">Bytes to leave before the body (for <see cref="StoredValue"/>'s header).</param>
    /// <returns>The array and the body's length, or null when the body is over <paramref name="limit"/>.</returns>
    public static async ValueTask<(byte[] Buffer, int Length)?> ReadAsync(HttpRequest request, int limit, int headerRoom)
    {
        if (request.ContentLength is { } declared)
        {
            if (declared > limit)
            {
                return null;
            }

            var exact = new byte[headerRoom + (int)declared];
            var read = await request.Body.ReadAtLeastAsync(exact.AsMemory(headerRoom), (int)declared, throwOnEndOfStream: false, request.HttpContext.RequestAborted);
            if (read < declared)
            {
                throw new BadHttpRequestException($"The body ended after {read} of the {declared} bytes its Content-Length announced.");
            }

            return (exact, (int)declared);
        }

        var chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            var body = new ArrayBufferWriter<byte>(Math.Min(limit, ChunkBytes) + headerRoom);
            body.Advance(headerRoom);
            int count;
            while ((count = await request.Body.ReadAsync(chunk.AsMemory(0, ChunkBytes), request.HttpContext.RequestAborted)) > 0)
            {
                if (body.WrittenCount - headerRoom + count > limit)
                {
                    return null;
                }

                body.Write(chunk.AsSpan(0, count));
            }

            var length = body.WrittenCount - headerRoom;
            return (body.WrittenSpan.ToArray(), length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
