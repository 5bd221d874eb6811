using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
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

    /// <summary>
    /// <see cref="Hash"/>, or null when the request holds a value that cannot be serialized (no contract for its type,
    /// a cycle): such a request has no faithful key and bypasses the cache, neither read nor stored.
    /// </summary>
    public static string? TryHash<TState>(string prefix, TState state, Action<Utf8JsonWriter, TState> write)
    {
        try
        {
            return Hash(prefix, state, write);
        }
        catch (JsonException)
        {
            return null;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The error of a public <c>GetCacheKey</c> for a request <see cref="TryHash"/> found no key for.</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowUnkeyable(string owner) =>
        throw new ArgumentException(
            $"The request's {owner} hold a value that cannot be serialized (no JSON contract for its type, or a cycle), so the "
            + "request has no cache key: it is not cached (read or stored). Give such values a JSON contract (the options' "
            + "JsonSerializerOptions) or leave them out of the request.");

    public static string HashToHex(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// The tenant named by <see cref="AICacheProperties.TenantId"/>, if any: a string, or a JSON string
    /// (<see cref="JsonElement"/>, as options read from JSON carry it); null, an empty string or a JSON null name none.
    /// </summary>
    /// <param name="properties">The request's properties.</param>
    /// <param name="owner">The options type, for the error (<c>ChatOptions</c>, <c>AgentRunOptions</c>).</param>
    /// <exception cref="ArgumentException">
    /// The property holds something else. It is refused, not ignored: ignoring it would serve the request from the
    /// global namespace, where every such request of every tenant meets (the tenant is not part of the key).
    /// </exception>
    public static string? TenantFrom(AdditionalPropertiesDictionary? properties, string owner)
    {
        if (properties is null || properties.Count == 0 || !properties.TryGetValue(AICacheProperties.TenantId, out var value) || value is null)
        {
            return null;
        }

        var tenant = value switch
        {
            string text => text,
            JsonElement { ValueKind: JsonValueKind.String } json => json.GetString(),
            JsonElement { ValueKind: JsonValueKind.Null } => string.Empty,
            _ => null,
        };
        if (tenant is null)
        {
            ThrowTenantType(owner, AICacheProperties.TenantId, value);
        }

        return tenant.Length > 0 ? tenant : null;
    }

    /// <summary>
    /// The tenant a request is served for when the tenant is fixed in code (<paramref name="fixedTenant"/>, null for
    /// the global namespace): a request property naming another tenant is refused, never followed.
    /// </summary>
    /// <param name="fixedTenant">The tenant the caller's code fixed (a <c>TenantId</c> option or a selector's result).</param>
    /// <param name="properties">The request's properties, where <see cref="AICacheProperties.TenantId"/> may name one.</param>
    /// <param name="owner">The options type, for the error (<c>ChatOptions</c>, <c>AgentRunOptions</c>).</param>
    /// <exception cref="ArgumentException">The request names a tenant other than the fixed one.</exception>
    public static string? FixedTenant(string? fixedTenant, AdditionalPropertiesDictionary? properties, string owner)
    {
        var named = TenantFrom(properties, owner);
        if (named is not null && !string.Equals(named, fixedTenant, StringComparison.Ordinal))
        {
            ThrowTenantOverride(owner, AICacheProperties.TenantId, named, fixedTenant);
        }

        return fixedTenant;
    }

    /// <summary>
    /// The tenant a request is served for: the one fixed in code (a selector's result, or a <c>TenantId</c> option),
    /// which a request property cannot override (<see cref="FixedTenant"/>), else the one the request names
    /// (<see cref="TenantFrom"/>), else null (the global namespace).
    /// </summary>
    /// <param name="fixedTenant">The selector's result when <paramref name="selected"/>, else the <c>TenantId</c> option.</param>
    /// <param name="selected">Whether a tenant selector chose <paramref name="fixedTenant"/> (a null result then fixes the global namespace).</param>
    /// <param name="properties">The request's properties, where <see cref="AICacheProperties.TenantId"/> may name one.</param>
    /// <param name="owner">The options type, for the error (<c>ChatOptions</c>, <c>AgentRunOptions</c>).</param>
    /// <exception cref="ArgumentException">The property is not a string, or names a tenant other than the fixed one.</exception>
    public static string? ResolveTenant(string? fixedTenant, bool selected, AdditionalPropertiesDictionary? properties, string owner) =>
        selected || fixedTenant is not null ? FixedTenant(fixedTenant, properties, owner) : TenantFrom(properties, owner);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTenantType(string owner, string name, object value) =>
        throw new ArgumentException(
            $"{owner}.AdditionalProperties[\"{name}\"] is a {value.GetType().Name} ({value}); it must be a string naming the tenant.",
            name);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTenantOverride(string owner, string name, string named, string? fixedTenant) =>
        throw new ArgumentException(
            $"{owner}.AdditionalProperties[\"{name}\"] is \"{named}\", but this cache's tenant is fixed in code "
            + $"({(fixedTenant is null ? "the global namespace" : $"\"{fixedTenant}\"")}): a fixed tenant cannot be overridden by a request. "
            + "Remove the property, or leave TenantId (and TenantSelector) unset to let requests name their tenant.",
            name);
}
