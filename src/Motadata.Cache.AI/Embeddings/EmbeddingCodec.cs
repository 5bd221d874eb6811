using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Motadata.Cache.AI.Internal;

/// <summary>
/// A vector as bytes: an 8-byte header (<c>'M' 'E'</c>, format 1, a reserved byte, the dimension count as a
/// little-endian int) followed by the floats, little-endian, 4 bytes each. A 1,536-float embedding is 6,152 bytes,
/// against about 20,000 as JSON, and reads back with one copy.
/// </summary>
internal static class EmbeddingCodec
{
    public const int HeaderSize = 8;

    public static byte[] Encode(ReadOnlySpan<float> vector)
    {
        var bytes = new byte[HeaderSize + (vector.Length * sizeof(float))];
        bytes[0] = (byte)'M';
        bytes[1] = (byte)'E';
        bytes[2] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), vector.Length);
        var body = bytes.AsSpan(HeaderSize);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(vector).CopyTo(body);
        }
        else
        {
            for (var i = 0; i < vector.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(body[(i * sizeof(float))..], vector[i]);
            }
        }

        return bytes;
    }

    /// <summary>The vector in <paramref name="bytes"/>, or null when they are not an encoded vector.</summary>
    public static float[]? Decode(byte[] bytes)
    {
        if (bytes.Length < HeaderSize || bytes[0] != (byte)'M' || bytes[1] != (byte)'E' || bytes[2] != 1)
        {
            return null;
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4));
        if (count < 0 || bytes.Length != HeaderSize + ((long)count * sizeof(float)))
        {
            return null;
        }

        var vector = new float[count];
        var body = bytes.AsSpan(HeaderSize);
        if (BitConverter.IsLittleEndian)
        {
            body.CopyTo(MemoryMarshal.AsBytes(vector.AsSpan()));
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                vector[i] = BinaryPrimitives.ReadSingleLittleEndian(body[(i * sizeof(float))..]);
            }
        }

        return vector;
    }
}
