using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Motadata.Cache.AI.Internal;

/// <summary>
/// Turns a request into a stable cache key: the SHA-256 of its canonical JSON. The JSON is written into a buffer
/// reused per thread, so a key costs one hash and one 64-character string.
/// </summary>
internal static class RequestHasher
{
    private const int MaxRetainedBytes = 256 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Writes JSON with <paramref name="write"/> and returns <paramref name="prefix"/> followed by the lower-case hex SHA-256 of it.</summary>
    public static string Hash<TState>(string prefix, TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = t_writer;
        if (writer is null)
        {
            writer = t_writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        }
        else
        {
            writer.Reset(buffer);
        }

        write(writer, state);
        writer.Flush();
        var key = prefix + HashToHex(buffer.WrittenSpan);
        if (buffer.Capacity > MaxRetainedBytes)
        {
            // One huge request must not pin a huge buffer to this thread for ever.
            t_buffer = null;
            t_writer = null;
        }

        return key;
    }

    public static string HashToHex(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// <paramref name="properties"/> without the cache's own control keys, in ordinal key order, so the same request
    /// hashes the same whatever order its properties were added in; null when nothing is left.
    /// </summary>
    public static AdditionalPropertiesDictionary? Canonical(AdditionalPropertiesDictionary? properties)
    {
        if (properties is null || properties.Count == 0)
        {
            return null;
        }

        var keys = new List<string>(properties.Count);
        foreach (var pair in properties)
        {
            if (!CacheControls.IsControlKey(pair.Key))
            {
                keys.Add(pair.Key);
            }
        }

        if (keys.Count == 0)
        {
            return null;
        }

        keys.Sort(StringComparer.Ordinal);
        var sorted = new AdditionalPropertiesDictionary();
        foreach (var key in keys)
        {
            sorted[key] = properties[key];
        }

        return sorted;
    }

    /// <summary>The tenant named by <see cref="AICacheProperties.TenantId"/>, if any.</summary>
    public static string? TenantFrom(AdditionalPropertiesDictionary? properties) =>
        properties is not null && properties.TryGetValue(AICacheProperties.TenantId, out var value) && value is string { Length: > 0 } tenant
            ? tenant
            : null;
}
