using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Motadata.Cache.Server.Endpoints;

/// <summary>
/// Reads <c>{"entries": {"k": &lt;json value&gt;, ...}, "ttl": SECONDS}</c>, keeping each value's JSON text byte for
/// byte as it arrived (no re-serialization). Never throws on a bad body: every way a body can be wrong (not JSON,
/// not UTF-8, a lone surrogate escape in a key, the wrong shape, too many entries, a property or key given twice)
/// comes back as an error message.
/// </summary>
internal static class WarmBody
{
    /// <summary>Parses a warm request.</summary>
    /// <param name="json">The body.</param>
    /// <param name="maxValueBytes">The largest value accepted, in bytes.</param>
    /// <param name="maxEntries">The most entries accepted in one body (<c>Service:MaxWarmEntries</c>).</param>
    /// <param name="entries">Key to stored value (<see cref="StoredValue"/>, <c>application/json</c>).</param>
    /// <param name="ttlSeconds">The <c>ttl</c>, or null when absent.</param>
    /// <param name="error">What is wrong, when parsing fails.</param>
    /// <param name="tooLarge">True when the failure is a value over <paramref name="maxValueBytes"/> or more than <paramref name="maxEntries"/> entries.</param>
    /// <returns>True when the body is a valid warm request.</returns>
    public static bool TryParse(ReadOnlySpan<byte> json, int maxValueBytes, int maxEntries, out Dictionary<string, byte[]> entries, out long? ttlSeconds, out string? error, out bool tooLarge)
    {
        entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        ttlSeconds = null;
        error = null;
        tooLarge = false;
        if (!Utf8.IsValid(json))
        {
            // JSON text is UTF-8 (RFC 8259); values are stored as sent, so a stray byte would be served back to every reader.
            error = "The body is not valid UTF-8; JSON text must be. Nothing was stored.";
            return false;
        }

        try
        {
            return TryParseValid(json, maxValueBytes, maxEntries, entries, ref ttlSeconds, ref error, ref tooLarge);
        }
        catch (JsonException exception)
        {
            error = $"The body is not valid JSON: {exception.Message} Nothing was stored.";
            return false;
        }
    }

    private static bool TryParseValid(ReadOnlySpan<byte> json, int maxValueBytes, int maxEntries, Dictionary<string, byte[]> entries, ref long? ttlSeconds, ref string? error, ref bool tooLarge)
    {
        var seenEntries = false;
        var seenTtl = false;
        var entryCount = 0;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = "The body must be a JSON object: {\"entries\": {\"key\": <json value>, ...}, \"ttl\": SECONDS}.";
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!TryGetString(ref reader, out var name))
            {
                error = "A property name of the body is not valid Unicode (a lone surrogate escape such as \\udc00). Nothing was stored.";
                return false;
            }

            // "Last wins" let {"ttl":-5,"ttl":600} pass a check another reader would have failed: a repeat is refused.
            if ((name == "entries" && seenEntries) || (name == "ttl" && seenTtl))
            {
                error = $"The property \"{name}\" appears more than once; send it once. Nothing was stored.";
                return false;
            }

            reader.Read();
            switch (name)
            {
                case "entries":
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        error = $"\"entries\" is a {Describe(reader.TokenType)}; it must be an object of key to JSON value.";
                        return false;
                    }

                    seenEntries = true;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (!TryGetString(ref reader, out var key))
                        {
                            error = "A key in \"entries\" is not valid Unicode (a lone surrogate escape such as \\udc00); keys are text. Nothing was stored.";
                            return false;
                        }

                        if (++entryCount > maxEntries)
                        {
                            error = $"The body has more than {maxEntries} entries; the most one warm request may store is {maxEntries} (Service:MaxWarmEntries). Send them in several requests. Nothing was stored.";
                            tooLarge = true;
                            return false;
                        }

                        if (entries.ContainsKey(key))
                        {
                            error = $"The key '{key}' appears more than once in \"entries\"; send each key once. Nothing was stored.";
                            return false;
                        }

                        if (key is "." or "..")
                        {
                            error = $"The key '{key}' cannot be named in a request path (a '.' or '..' segment is refused there), so it could never be read or deleted; choose another key. Nothing was stored.";
                            return false;
                        }

                        reader.Read();
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        var end = (int)reader.BytesConsumed;
                        var value = json[start..end];
                        if (value.Length > maxValueBytes)
                        {
                            error = $"The value of entry '{key}' is {value.Length} bytes; the most a value may have is {maxValueBytes} bytes (Cache:MaxValueBytes). Nothing was stored.";
                            tooLarge = true;
                            return false;
                        }

                        entries[key] = StoredValue.Create(StoredValue.JsonContentType, value);
                    }

                    break;
                case "ttl":
                    seenTtl = true;
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        break;
                    }

                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var ttl))
                    {
                        error = $"\"ttl\" is {(reader.TokenType == JsonTokenType.Number ? Encoding.UTF8.GetString(reader.ValueSpan) : "a " + Describe(reader.TokenType))}; it must be a whole number of seconds from 1 to {CacheEndpoints.MaxTtlSeconds}.";
                        return false;
                    }

                    ttlSeconds = ttl;
                    break;
                default:
                    error = $"Unknown property \"{name}\"; a warm request has only \"entries\" and \"ttl\".";
                    return false;
            }
        }

        if (reader.Read())
        {
            error = "The body has more after its JSON object; send exactly one object.";
            return false;
        }

        if (!seenEntries)
        {
            error = "The body has no \"entries\" object; send {\"entries\": {\"key\": <json value>, ...}, \"ttl\": SECONDS}.";
            return false;
        }

        return true;
    }

    /// <summary>The reader's string, or false when it holds a lone surrogate escape (which <see cref="Utf8JsonReader.GetString"/> refuses with an <see cref="InvalidOperationException"/>).</summary>
    private static bool TryGetString(ref Utf8JsonReader reader, out string value)
    {
        try
        {
            value = reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = string.Empty;
            return false;
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "array",
        JsonTokenType.StartObject => "object",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
