using System.Buffers;
using System.Diagnostics;

namespace Motadata.Cache.Serialization;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over buffers rented from <see cref="ArrayPool{T}.Shared"/>, with room kept at
/// the front for the payload header so the value is never copied. One instance per thread is reused; the buffer
/// itself leaves with the <see cref="PooledPayload"/>.
/// </summary>
internal sealed class PayloadWriter : IBufferWriter<byte>
{
    private const int InitialSize = 512;

    [ThreadStatic]
    private static PayloadWriter? t_cached;

    private byte[] _buffer = [];
    private int _start;
    private int _written;

    /// <summary>A writer whose first <paramref name="reserved"/> bytes are kept for the header.</summary>
    public static PayloadWriter Rent(int reserved, int sizeHint)
    {
        var writer = t_cached ?? new PayloadWriter();
        t_cached = null;
        writer._buffer = ArrayPool<byte>.Shared.Rent(Math.Max(InitialSize, reserved + sizeHint));
        writer._start = reserved;
        writer._written = reserved;
        return writer;
    }

    /// <summary>The value bytes written so far.</summary>
    public Span<byte> Written => _buffer.AsSpan(_start, _written - _start);

    public int ValueLength => _written - _start;

    /// <summary>The header space, right before the value.</summary>
    public Span<byte> Reserved => _buffer.AsSpan(0, _start);

    /// <summary>Hands the buffer over as a payload that starts <paramref name="headerLength"/> bytes before the value, and puts this writer back.</summary>
    public PooledPayload Detach(int headerLength)
    {
        Debug.Assert(headerLength <= _start, "The header must fit the reserved space.");
        var payload = new PooledPayload(_buffer, _start - headerLength, _written - _start + headerLength, _written - _start);
        _buffer = [];
        t_cached = this;
        return payload;
    }

    /// <summary>Gives the buffer back to the pool without producing a payload (the value could not be encoded).</summary>
    public void Abandon()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        t_cached = this;
    }

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Advanced past the end of the buffer.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _written + needed));
        _buffer.AsSpan(0, _written).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }
}
