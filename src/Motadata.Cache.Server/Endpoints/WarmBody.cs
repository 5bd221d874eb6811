using System.Text;
using System.Text.Json;

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
        var body = new Parsed(maxValueBytes, maxEntries);
        var parsed = StrictJsonBody.TryParse(json, TryParseValid, ref body, "The body is not valid JSON: ", "Nothing was stored.", notUnicode: null, out error);
        entries = body.Entries;
        ttlSeconds = body.TtlSeconds;
        tooLarge = body.TooLarge;
        return parsed;
    }

    /// <summary>What <see cref="TryParseValid"/> reads with (the limits) and fills.</summary>
    private struct Parsed(int maxValueBytes, int maxEntries)
    {
        public readonly int MaxValueBytes = maxValueBytes;
        public readonly int MaxEntries = maxEntries;
        public readonly Dictionary<string, byte[]> Entries = new(StringComparer.Ordinal);
        public long? TtlSeconds;
        public bool TooLarge;
    }

    private static bool TryParseValid(ReadOnlySpan<byte> json, ref Parsed body, ref string? error)
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

                        if (++entryCount > body.MaxEntries)
                        {
                            error = $"The body has more than {body.MaxEntries} entries; the most one warm request may store is {body.MaxEntries} (Service:MaxWarmEntries). Send them in several requests. Nothing was stored.";
                            body.TooLarge = true;
                            return false;
                        }

                        if (body.Entries.ContainsKey(key))
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
                        if (value.Length > body.MaxValueBytes)
                        {
                            error = $"The value of entry '{key}' is {value.Length} bytes; the most a value may have is {body.MaxValueBytes} bytes (Cache:MaxValueBytes). Nothing was stored.";
                            body.TooLarge = true;
                            return false;
                        }

                        body.Entries[key] = StoredValue.Create(StoredValue.JsonContentType, value);
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

                    body.TtlSeconds = ttl;
                    break;
                default:
                    error = $"Unknown property \"{name}\"; a warm request has only \"entries\" and \"ttl\".";
                    return false;
            }
        }

        if (!StrictJsonBody.AtEnd(ref reader, ref error))
        {
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
