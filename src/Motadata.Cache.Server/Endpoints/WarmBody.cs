using System.Text;
using System.Text.Json;

namespace Motadata.Cache.Server.Endpoints;

/// <summary>
/// Reads <c>{"entries": {"k": &lt;json value&gt;, ...}, "ttl": SECONDS}</c>, keeping each value's JSON text byte for
/// byte as it arrived (no re-serialization).
/// </summary>
internal static class WarmBody
{
    /// <summary>Parses a warm request.</summary>
    /// <param name="json">The body.</param>
    /// <param name="maxValueBytes">The largest value accepted, in bytes.</param>
    /// <param name="entries">Key to stored value (<see cref="StoredValue"/>, <c>application/json</c>); a repeated key keeps its last value.</param>
    /// <param name="ttlSeconds">The <c>ttl</c>, or null when absent.</param>
    /// <param name="error">What is wrong, when parsing fails.</param>
    /// <param name="tooLarge">True when the failure is a value over <paramref name="maxValueBytes"/>.</param>
    /// <returns>True when the body is a valid warm request.</returns>
    public static bool TryParse(ReadOnlySpan<byte> json, int maxValueBytes, out Dictionary<string, byte[]> entries, out long? ttlSeconds, out string? error, out bool tooLarge)
    {
        entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        ttlSeconds = null;
        error = null;
        tooLarge = false;
        var seenEntries = false;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = "The body must be a JSON object: {\"entries\": {\"key\": <json value>, ...}, \"ttl\": SECONDS}.";
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
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
                        var key = reader.GetString()!;
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
