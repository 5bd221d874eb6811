using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace Motadata.Cache.Serialization;

/// <summary>
/// The bytes a remote backend stores for one value:
/// <code>
/// [0]     format version (1)
/// [1]     flags: high nibble 0xA with a checksum, 0x5 without; bit 3 a signature ends the payload; bits 0-2 the
///         value's kind (0 null, 1 byte[], 2 string, 3 serialized)
/// [2..10) XxHash3 (64-bit, little-endian) of the value bytes, seeded with the flags byte; only with a checksum
/// [...]   the value: nothing, the raw bytes, UTF-8 text, or what the serializer wrote
/// [^32..] HMAC-SHA256, keyed with <see cref="IntegrityOptions.SigningKey"/>, of every byte before it; only with bit 3
/// </code>
/// <c>byte[]</c> and <c>string</c> values never go through the serializer. Anything else is corrupt: an unknown
/// version or flags, a bad checksum, invalid UTF-8, or bytes the serializer cannot read; and, when the reader has a
/// signing key, a payload that is not signed or whose signature does not match (someone who can write to the shared
/// server cannot plant values). A reader without a key ignores a signature.
/// </summary>
/// <remarks>
/// The two markers differ in four bits, so no single flipped bit can turn a checksummed payload into one that
/// skips the check: with a checksum, every one-bit error anywhere in the payload is caught (a flipped signature
/// bit moves 32 bytes into or out of the checksummed value).
/// </remarks>
internal static class PayloadCodec
{
    public const byte FormatVersion = 1;
    public const int HeaderLength = 2;
    public const int ChecksumLength = sizeof(ulong);
    public const byte CheckedMarker = 0xA0;
    public const byte UncheckedMarker = 0x50;
    public const byte SignatureFlag = 0x08;
    public const int SignatureLength = HMACSHA256.HashSizeInBytes;
    private const byte MarkerMask = 0xF0;
    private const byte KindMask = 0x07;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Encodes <paramref name="value"/> into a pooled buffer, signed when <paramref name="signingKey"/> is given.</summary>
    /// <exception cref="Exception">Whatever the serializer throws for a value it cannot write.</exception>
    public static PooledPayload Encode<T>(T value, ICacheSerializer serializer, bool withChecksum, byte[]? signingKey = null)
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

        var flags = (byte)((withChecksum ? CheckedMarker : UncheckedMarker) | (byte)kind);
        var headerLength = withChecksum ? HeaderLength + ChecksumLength : HeaderLength;

        if (signingKey is not null)
        {
            flags |= SignatureFlag;

            // Make room for the signature before the header is written: growing the buffer may move it.
            writer.GetSpan(SignatureLength);
        }

        var header = writer.Reserved[^headerLength..];
        header[0] = FormatVersion;
        header[1] = flags;
        if (withChecksum)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(header[HeaderLength..], XxHash3.HashToUInt64(writer.Written, flags));
        }

        if (signingKey is null)
        {
            return writer.Detach(headerLength);
        }

        // The signature covers the header too, so a value cannot be passed off as another kind.
        HMACSHA256.HashData(signingKey, writer.WrittenWithHeader(headerLength), writer.GetSpan(SignatureLength));
        writer.Advance(SignatureLength);
        return writer.Detach(headerLength, SignatureLength);
    }

    /// <summary>
    /// Decodes a stored payload as a <typeparamref name="T"/>. <see cref="PayloadStatus.WrongType"/> when it holds a
    /// well-formed value of a kind <typeparamref name="T"/> cannot take (it stays on the server, as on the memory
    /// backend); <see cref="PayloadStatus.Corrupt"/> with the reason when the bytes are damaged or unreadable.
    /// </summary>
    public static PayloadStatus Decode<T>(ReadOnlyMemory<byte> payload, ICacheSerializer serializer, out T? value, out string? problem, byte[]? signingKey = null)
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
        var marker = flags & MarkerMask;
        var kind = (PayloadKind)(flags & KindMask);
        if ((marker != CheckedMarker && marker != UncheckedMarker) || kind > PayloadKind.Serialized)
        {
            problem = $"the flags byte 0x{flags:X2} is not one this build writes";
            return PayloadStatus.Corrupt;
        }

        if ((flags & SignatureFlag) != 0)
        {
            if (span.Length < HeaderLength + SignatureLength)
            {
                problem = $"the payload is {span.Length} bytes long, too short for its {SignatureLength}-byte signature";
                return PayloadStatus.Corrupt;
            }

            if (signingKey is not null && !HasValidSignature(span, signingKey))
            {
                problem = "the signature does not match: the value was not written with this application's signing key";
                return PayloadStatus.Corrupt;
            }

            payload = payload[..^SignatureLength];
            span = payload.Span;
        }
        else if (signingKey is not null)
        {
            problem = "the value is not signed, and a signing key is configured (CacheConfig.Integrity.SigningKey)";
            return PayloadStatus.Corrupt;
        }

        var start = HeaderLength;
        if (marker == CheckedMarker)
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

    private static bool HasValidSignature(ReadOnlySpan<byte> payload, byte[] signingKey)
    {
        Span<byte> expected = stackalloc byte[SignatureLength];
        HMACSHA256.HashData(signingKey, payload[..^SignatureLength], expected);
        return CryptographicOperations.FixedTimeEquals(expected, payload[^SignatureLength..]);
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
