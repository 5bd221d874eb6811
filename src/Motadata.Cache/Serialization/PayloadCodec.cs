using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Motadata.Cache.Serialization;

/// <summary>
/// The bytes a remote backend stores for one value:
/// <code>
/// [0]     format version (1)
/// [1]     flags: bits 0-2 the value's kind (0 null, 1 byte[], 2 string, 3 serialized), bit 7 a checksum follows
/// [2..10) XxHash3 (64-bit, little-endian) of the value bytes, seeded with the flags byte; only with bit 7
/// [...]   the value: nothing, the raw bytes, UTF-8 text, or what the serializer wrote
/// </code>
/// <c>byte[]</c> and <c>string</c> values never go through the serializer. Anything else is corrupt: an unknown
/// version or flag, a bad checksum, invalid UTF-8, or bytes the serializer cannot read.
/// </summary>
internal static class PayloadCodec
{
    public const byte FormatVersion = 1;
    public const int HeaderLength = 2;
    public const int ChecksumLength = sizeof(ulong);
    public const byte ChecksumFlag = 0x80;
    private const byte KindMask = 0x07;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Encodes <paramref name="value"/> into a pooled buffer.</summary>
    /// <exception cref="Exception">Whatever the serializer throws for a value it cannot write.</exception>
    public static PooledPayload Encode<T>(T value, ICacheSerializer serializer, bool withChecksum)
    {
        const int Reserved = HeaderLength + ChecksumLength;
        PayloadKind kind;
        PayloadWriter writer;
        switch (value)
        {
            case null:
                kind = PayloadKind.Null;
                writer = PayloadWriter.Rent(Reserved, 0);
                break;
            case byte[] bytes:
                kind = PayloadKind.Bytes;
                writer = PayloadWriter.Rent(Reserved, bytes.Length);
                bytes.CopyTo(writer.GetSpan(bytes.Length));
                writer.Advance(bytes.Length);
                break;
            case string text:
                kind = PayloadKind.String;
                writer = PayloadWriter.Rent(Reserved, text.Length);
                var span = writer.GetSpan(s_strictUtf8.GetMaxByteCount(text.Length));
                writer.Advance(Encoding.UTF8.GetBytes(text, span));
                break;
            default:
                kind = PayloadKind.Serialized;
                writer = PayloadWriter.Rent(Reserved, 0);
                try
                {
                    serializer.Serialize(value, writer);
                }
                catch
                {
                    writer.Abandon();
                    throw;
                }

                break;
        }

        var flags = (byte)kind;
        var headerLength = HeaderLength;
        if (withChecksum)
        {
            flags |= ChecksumFlag;
            headerLength += ChecksumLength;
        }

        var header = writer.Reserved[^headerLength..];
        header[0] = FormatVersion;
        header[1] = flags;
        if (withChecksum)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(header[HeaderLength..], XxHash3.HashToUInt64(writer.Written, flags));
        }

        return writer.Detach(headerLength);
    }

    /// <summary>
    /// Decodes a stored payload as a <typeparamref name="T"/>. <see cref="PayloadStatus.WrongType"/> when it holds a
    /// well-formed value of a kind <typeparamref name="T"/> cannot take (it stays on the server, as on the memory
    /// backend); <see cref="PayloadStatus.Corrupt"/> with the reason when the bytes are damaged or unreadable.
    /// </summary>
    public static PayloadStatus Decode<T>(ReadOnlyMemory<byte> payload, ICacheSerializer serializer, out T? value, out string? problem)
    {
        value = default;
        problem = null;
        var span = payload.Span;
        if (span.Length < HeaderLength)
        {
            problem = $"the payload is {span.Length} bytes long, shorter than the {HeaderLength}-byte header";
            return PayloadStatus.Corrupt;
        }

        if (span[0] != FormatVersion)
        {
            problem = $"the format version is {span[0]}; this build reads version {FormatVersion}";
            return PayloadStatus.Corrupt;
        }

        var flags = span[1];
        var kind = (PayloadKind)(flags & KindMask);
        if ((flags & ~(ChecksumFlag | KindMask)) != 0 || kind > PayloadKind.Serialized)
        {
            problem = $"the flags byte 0x{flags:X2} is not one this build writes";
            return PayloadStatus.Corrupt;
        }

        var start = HeaderLength;
        if ((flags & ChecksumFlag) != 0)
        {
            start += ChecksumLength;
            if (span.Length < start)
            {
                problem = $"the payload is {span.Length} bytes long, shorter than its {start}-byte header";
                return PayloadStatus.Corrupt;
            }

            var expected = BinaryPrimitives.ReadUInt64LittleEndian(span[HeaderLength..]);
            if (XxHash3.HashToUInt64(span[start..], flags) != expected)
            {
                problem = "the checksum does not match the value";
                return PayloadStatus.Corrupt;
            }
        }

        var body = payload[start..];
        switch (kind)
        {
            case PayloadKind.Null:
                if (body.Length != 0)
                {
                    problem = "a null value carries bytes";
                    return PayloadStatus.Corrupt;
                }

                return TypeTraits<T>.AcceptsNull ? PayloadStatus.Found : PayloadStatus.WrongType;

            case PayloadKind.Bytes:
                if (!TypeTraits<T>.AcceptsBytes)
                {
                    return PayloadStatus.WrongType;
                }

                value = (T)(object)body.ToArray();
                return PayloadStatus.Found;

            case PayloadKind.String:
                if (!TypeTraits<T>.AcceptsString)
                {
                    return PayloadStatus.WrongType;
                }

                try
                {
                    value = (T)(object)s_strictUtf8.GetString(body.Span);
                }
                catch (DecoderFallbackException)
                {
                    problem = "the text is not valid UTF-8";
                    return PayloadStatus.Corrupt;
                }

                return PayloadStatus.Found;

            default:
                if (TypeTraits<T>.IsRaw)
                {
                    // string and byte[] are always stored raw, so a serialized value is some other type.
                    return PayloadStatus.WrongType;
                }

                try
                {
                    value = serializer.Deserialize<T>(new ReadOnlySequence<byte>(body));
                }
#pragma warning disable CA1031 // Whatever a serializer throws on bad bytes means the same thing: unreadable, so a miss.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    problem = $"the serializer could not read it as {typeof(T).Name}: {exception.GetType().Name}: {exception.Message}";
                    return PayloadStatus.Corrupt;
                }

                return PayloadStatus.Found;
        }
    }

    /// <summary>What a <typeparamref name="T"/> can hold, worked out once per type.</summary>
    private static class TypeTraits<T>
    {
        public static readonly bool AcceptsNull = default(T) is null;
        public static readonly bool AcceptsBytes = typeof(T).IsAssignableFrom(typeof(byte[]));
        public static readonly bool AcceptsString = typeof(T).IsAssignableFrom(typeof(string));
        public static readonly bool IsRaw = typeof(T) == typeof(string) || typeof(T) == typeof(byte[]);
    }
}

/// <summary>What a stored value is, in the payload's flags byte.</summary>
internal enum PayloadKind : byte
{
    Null = 0,
    Bytes = 1,
    String = 2,
    Serialized = 3,
}

/// <summary>The outcome of <see cref="PayloadCodec.Decode{T}"/>.</summary>
internal enum PayloadStatus
{
    Found,
    WrongType,
    Corrupt,
}
