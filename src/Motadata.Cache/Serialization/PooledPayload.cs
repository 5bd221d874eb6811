using System.Buffers;

namespace Motadata.Cache.Serialization;

/// <summary>
/// An encoded value in a buffer rented from <see cref="ArrayPool{T}.Shared"/>. <see cref="Return"/> it only once
/// nothing can read it any more: after the server acknowledged the write. After a failed or timed-out write the
/// client may still hold the bytes, so the buffer is left to the garbage collector instead.
/// </summary>
internal readonly struct PooledPayload
{
    private readonly byte[]? _buffer;
    private readonly int _offset;
    private readonly int _length;

    public PooledPayload(byte[] buffer, int offset, int length, int valueLength)
    {
        _buffer = buffer;
        _offset = offset;
        _length = length;
        ValueLength = valueLength;
    }

    /// <summary>The whole payload: header and value.</summary>
    public ReadOnlyMemory<byte> Memory => new(_buffer, _offset, _length);

    /// <summary>Bytes of the value alone (what <see cref="CacheConfig.MaxValueBytes"/> bounds).</summary>
    public int ValueLength { get; }

    public void Return()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
