using System.Buffers.Binary;

namespace Motadata.Cache.AI.Internal;

/// <summary>
/// An answer as a remote backend keeps it: a 12-byte header (<c>'M' 'C'</c>, format 1, a reserved byte, the UTC time
/// it was cached as little-endian ticks) followed by the answer's UTF-8 JSON. The time lets a request's
/// <c>s-maxage</c> be checked on any instance.
/// </summary>
internal static class AnswerCodec
{
    public const int HeaderSize = 12;

    public static byte[] Encode(long cachedAtUtcTicks, ReadOnlySpan<byte> json)
    {
        var bytes = new byte[HeaderSize + json.Length];
        bytes[0] = (byte)'M';
        bytes[1] = (byte)'C';
        bytes[2] = 1;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(4), cachedAtUtcTicks);
        json.CopyTo(bytes.AsSpan(HeaderSize));
        return bytes;
    }

    /// <summary>The time and JSON in <paramref name="bytes"/>, or false when they are not an encoded answer (such as one written by an older version).</summary>
    public static bool TryDecode(byte[] bytes, out long cachedAtUtcTicks, out ReadOnlyMemory<byte> json)
    {
        if (bytes.Length < HeaderSize || bytes[0] != (byte)'M' || bytes[1] != (byte)'C' || bytes[2] != 1)
        {
            cachedAtUtcTicks = 0;
            json = default;
            return false;
        }

        cachedAtUtcTicks = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(4));
        json = bytes.AsMemory(HeaderSize);
        return true;
    }
}
