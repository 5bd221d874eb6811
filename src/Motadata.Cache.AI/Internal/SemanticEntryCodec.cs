using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Motadata.Cache.AI.Internal;

/// <summary>
/// A semantic entry as the cache keeps it: <c>'M' 'S'</c>, format 1, a reserved byte, the dimension count (int32), the
/// time cached and the expiry (UTC ticks, int64), then the scope, the answer key and the prompt (each an int32 length
/// and UTF-8), then the normalised vector as little-endian floats. Little-endian throughout.
/// </summary>
internal static class SemanticEntryCodec
{
    private const int FixedHeader = 4 + 4 + 8 + 8;

    public static byte[] Encode(SemanticEntry entry)
    {
        var vector = entry.Vector ?? throw new ArgumentException("The entry has no vector.", nameof(entry));
        var scope = Encoding.UTF8.GetBytes(entry.Scope);
        var answerKey = Encoding.UTF8.GetBytes(entry.AnswerKey);
        var prompt = Encoding.UTF8.GetBytes(entry.Prompt);
        var bytes = new byte[FixedHeader + 12 + scope.Length + answerKey.Length + prompt.Length + (vector.Length * sizeof(float))];
        bytes[0] = (byte)'M';
        bytes[1] = (byte)'S';
        bytes[2] = 1;
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], vector.Length);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], entry.CachedAtUtcTicks);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], entry.ExpiresAtUtcTicks);
        var at = FixedHeader;
        foreach (var part in (ReadOnlySpan<byte[]>)[scope, answerKey, prompt])
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], part.Length);
            part.CopyTo(span[(at + 4)..]);
            at += 4 + part.Length;
        }

        var body = span[at..];
        for (var i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(body[(i * sizeof(float))..], vector[i]);
        }

        return bytes;
    }

    /// <summary>The entry in <paramref name="bytes"/>, or null when they are not one.</summary>
    public static SemanticEntry? Decode(string id, byte[] bytes)
    {
        if (bytes.Length < FixedHeader + 12 || bytes[0] != (byte)'M' || bytes[1] != (byte)'S' || bytes[2] != 1)
        {
            return null;
        }

        var span = bytes.AsSpan();
        var dimensions = BinaryPrimitives.ReadInt32LittleEndian(span[4..]);
        var cachedAt = BinaryPrimitives.ReadInt64LittleEndian(span[8..]);
        var expiresAt = BinaryPrimitives.ReadInt64LittleEndian(span[16..]);
        var at = FixedHeader;
        Span<string?> parts = new string?[3];
        for (var p = 0; p < 3; p++)
        {
            if (at + 4 > span.Length)
            {
                return null;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
            if (length < 0 || at + 4 + length > span.Length)
            {
                return null;
            }

            parts[p] = Encoding.UTF8.GetString(span.Slice(at + 4, length));
            at += 4 + length;
        }

        if (dimensions <= 0 || span.Length - at != dimensions * sizeof(float))
        {
            return null;
        }

        var vector = new float[dimensions];
        if (BitConverter.IsLittleEndian)
        {
            span[at..].CopyTo(MemoryMarshal.AsBytes(vector.AsSpan()));
        }
        else
        {
            for (var i = 0; i < dimensions; i++)
            {
                vector[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(at + (i * sizeof(float)))..]);
            }
        }

        return new SemanticEntry(id, parts[0]!, parts[2]!, parts[1]!, cachedAt, expiresAt, vector);
    }
}
