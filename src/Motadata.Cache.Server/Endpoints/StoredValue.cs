using System.Buffers.Binary;
using System.Text;

namespace Motadata.Cache.Server.Endpoints;

/// <summary>
/// How the service keeps a value in the cache: one byte array holding the content type and the body, so both
/// backends store it as it is (the Dragonfly backend writes byte arrays raw, with no JSON around them) and a read
/// writes the body straight to the response.
/// </summary>
/// <remarks>
/// Layout: a format byte (<see cref="Format"/>), the content type's UTF-8 length as a big-endian 16-bit number, the
/// content type, then the body.
/// </remarks>
internal static class StoredValue
{
    /// <summary>The longest content type kept, in UTF-8 bytes.</summary>
    public const int MaxContentTypeBytes = 1024;

    /// <summary>The most bytes the layout adds to a body.</summary>
    public const int MaxOverheadBytes = HeaderBytes + MaxContentTypeBytes;

    /// <summary>What a body without a content type is served as.</summary>
    public const string DefaultContentType = "application/octet-stream";

    /// <summary>What warmed values are served as.</summary>
    public const string JsonContentType = "application/json";

    private const byte Format = 1;
    private const int HeaderBytes = 3;

    /// <summary>
    /// The content type a PUT stores: the request's, or <see cref="DefaultContentType"/> when it sent none or a wildcard
    /// (<c>*/*</c>, <c>text/*</c>: what a generated client sends when the document allows any type). A wildcard names no
    /// type, and serving it back would make every reader guess.
    /// </summary>
    /// <param name="requestContentType">The request's <c>Content-Type</c> header, if any.</param>
    /// <returns>The content type to store.</returns>
    public static string ForRequest(string? requestContentType)
    {
        if (string.IsNullOrEmpty(requestContentType))
        {
            return DefaultContentType;
        }

        var parameters = requestContentType.IndexOf(';', StringComparison.Ordinal);
        var mediaType = (parameters < 0 ? requestContentType : requestContentType[..parameters]).AsSpan().Trim();
        return mediaType.IsEmpty || mediaType.EndsWith("/*", StringComparison.Ordinal) || mediaType.SequenceEqual("*")
            ? DefaultContentType
            : requestContentType;
    }

    /// <summary>
    /// True when <paramref name="contentType"/> can be sent back as a response header: printable ASCII and tabs only.
    /// Kestrel refuses to write any other character in a header, so a value stored with one could never be served.
    /// </summary>
    /// <param name="contentType">The content type a client sent.</param>
    /// <param name="position">The first character that is not allowed, or -1.</param>
    /// <returns>True when every character is allowed.</returns>
    public static bool IsServable(ReadOnlySpan<char> contentType, out int position)
    {
        for (var i = 0; i < contentType.Length; i++)
        {
            if (!IsHeaderCharacter(contentType[i]))
            {
                position = i;
                return false;
            }
        }

        position = -1;
        return true;
    }

    /// <summary>The header's length for <paramref name="contentType"/>.</summary>
    /// <param name="contentType">The content type.</param>
    /// <returns>How many bytes go before the body.</returns>
    public static int HeaderLength(string contentType) => HeaderBytes + Encoding.UTF8.GetByteCount(contentType);

    /// <summary>Writes the header into the start of <paramref name="destination"/>; the body goes after it.</summary>
    /// <param name="contentType">The content type, at most <see cref="MaxContentTypeBytes"/> UTF-8 bytes.</param>
    /// <param name="destination">The stored value's bytes, at least <see cref="HeaderLength"/> long.</param>
    /// <returns>Where the body starts.</returns>
    public static int WriteHeader(string contentType, Span<byte> destination)
    {
        var length = Encoding.UTF8.GetBytes(contentType, destination[HeaderBytes..]);
        destination[0] = Format;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)length);
        return HeaderBytes + length;
    }

    /// <summary>A stored value holding <paramref name="body"/>.</summary>
    /// <param name="contentType">The content type.</param>
    /// <param name="body">The body.</param>
    /// <returns>The bytes to store.</returns>
    public static byte[] Create(string contentType, ReadOnlySpan<byte> body)
    {
        var stored = new byte[HeaderLength(contentType) + body.Length];
        var offset = WriteHeader(contentType, stored);
        body.CopyTo(stored.AsSpan(offset));
        return stored;
    }

    /// <summary>Splits a stored value into its content type and body.</summary>
    /// <param name="stored">Bytes written by <see cref="Create"/>.</param>
    /// <param name="contentType">The content type.</param>
    /// <returns>The body, without copying.</returns>
    public static ReadOnlyMemory<byte> Read(byte[] stored, out string contentType)
    {
        if (stored.Length < HeaderBytes || stored[0] != Format)
        {
            // A byte array the service did not write (stored by the library directly): serve it whole.
            contentType = DefaultContentType;
            return stored;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(stored.AsSpan(1));
        if (HeaderBytes + length > stored.Length)
        {
            contentType = DefaultContentType;
            return stored;
        }

        contentType = ContentTypeOf(stored.AsSpan(HeaderBytes, length));
        return stored.AsMemory(HeaderBytes + length);
    }

    private static string ContentTypeOf(ReadOnlySpan<byte> utf8)
    {
        // The common types come back as the same string every time, so a read of them allocates nothing.
        if (utf8.SequenceEqual("application/json"u8))
        {
            return JsonContentType;
        }

        if (utf8.SequenceEqual("application/octet-stream"u8))
        {
            return DefaultContentType;
        }

        if (utf8.SequenceEqual("text/plain"u8))
        {
            return "text/plain";
        }

        if (utf8.SequenceEqual("text/plain; charset=utf-8"u8))
        {
            return "text/plain; charset=utf-8";
        }

        if (utf8.SequenceEqual("application/json; charset=utf-8"u8))
        {
            return "application/json; charset=utf-8";
        }

        // Defensive: values stored before the PUT checked the content type, or written by other means, may hold bytes
        // no response header can carry; such a value is served as bytes rather than failing every read with a 500.
        foreach (var b in utf8)
        {
            if (!IsHeaderCharacter((char)b))
            {
                return DefaultContentType;
            }
        }

        return Encoding.UTF8.GetString(utf8);
    }

    private static bool IsHeaderCharacter(char c) => c is '\t' or (>= ' ' and <= '~');
}
