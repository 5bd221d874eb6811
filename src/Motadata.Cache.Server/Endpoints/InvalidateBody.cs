using System.Text.Json;

namespace Motadata.Cache.Server.Endpoints;

/// <summary>
/// Reads <c>{"pattern": "&lt;glob&gt;"}</c> strictly: a repeated property (<c>{"pattern":"zzz*","pattern":"*"}</c>,
/// where "the last wins" once removed everything), an unknown one, or anything after the object is refused with a
/// message naming it, as <see cref="WarmBody"/> refuses them. Never throws on a bad body.
/// </summary>
internal static class InvalidateBody
{
    /// <summary>What every error message ends with: the shape expected.</summary>
    public const string Expected = "Send {\"pattern\": \"user_*\"} with a Redis glob (*, ?, [abc], [a-z], [^a], \\ to escape).";

    /// <summary>Parses an invalidate request.</summary>
    /// <param name="json">The body.</param>
    /// <param name="pattern">The glob, when parsing succeeds.</param>
    /// <param name="error">What is wrong, when parsing fails.</param>
    /// <returns>True when the body is a valid invalidate request.</returns>
    public static bool TryParse(ReadOnlySpan<byte> json, out string pattern, out string? error)
    {
        pattern = string.Empty;
        return StrictJsonBody.TryParse(
            json,
            TryParseValid,
            ref pattern,
            "The body is not valid JSON text: ",
            Expected,
            // A lone surrogate escape (\udc00) the reader cannot turn into a string.
            "The body holds a string that is not valid Unicode (a lone surrogate escape such as \\udc00). " + Expected,
            out error);
    }

    private static bool TryParseValid(ReadOnlySpan<byte> json, ref string pattern, ref string? error)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = "The body must be a JSON object. " + Expected;
            return false;
        }

        string? found = null;
        var seen = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (name != "pattern")
            {
                error = $"Unknown property \"{name}\"; an invalidate request has only \"pattern\". {Expected}";
                return false;
            }

            if (seen)
            {
                error = $"The property \"{name}\" appears more than once; send it once, so no reader can take another value than this service did. Nothing was removed.";
                return false;
            }

            seen = true;
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
            else if (reader.TokenType == JsonTokenType.String)
            {
                found = reader.GetString();
            }
        }

        if (!StrictJsonBody.AtEnd(ref reader, ref error))
        {
            return false;
        }

        if (found is null)
        {
            error = "The body has no \"pattern\" string. " + Expected;
            return false;
        }

        pattern = found;
        return true;
    }
}
