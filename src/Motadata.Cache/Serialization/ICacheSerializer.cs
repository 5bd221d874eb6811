using System.Buffers;

namespace Motadata.Cache;

/// <summary>
/// Turns values into bytes for a remote backend and back. The memory backend holds references and never calls it.
/// <see cref="byte"/> arrays and strings never reach a serializer: they are stored as they are.
/// </summary>
public interface ICacheSerializer
{
    /// <summary>Writes <paramref name="value"/> to <paramref name="destination"/>.</summary>
    /// <typeparam name="T">The value's declared type.</typeparam>
    /// <param name="value">The value to write.</param>
    /// <param name="destination">Where the bytes go.</param>
    void Serialize<T>(T value, IBufferWriter<byte> destination);

    /// <summary>Reads a value written by <see cref="Serialize{T}"/>. Throws on bytes that are not such a value.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="source">The bytes <see cref="Serialize{T}"/> wrote.</param>
    /// <returns>The value.</returns>
    T Deserialize<T>(ReadOnlySequence<byte> source);
}
