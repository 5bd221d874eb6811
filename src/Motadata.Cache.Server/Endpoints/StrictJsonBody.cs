using System.Text.Json;
using System.Text.Unicode;

namespace Motadata.Cache.Server.Endpoints;

/// <summary>
/// What the strict body readers (<see cref="WarmBody"/>, <see cref="InvalidateBody"/>) share: the body must be UTF-8,
/// a <see cref="JsonException"/> becomes an error message instead of escaping, and nothing may follow the object.
/// Each reader passes its own wording, so its messages stay its own.
/// </summary>
internal static class StrictJsonBody
{
    /// <summary>The error for a body with more after its JSON object.</summary>
    public const string TrailingContent = "The body has more after its JSON object; send exactly one object.";

    /// <summary>Parses a body already known to be UTF-8; may throw <see cref="JsonException"/>.</summary>
    public delegate bool Parser<TBody>(ReadOnlySpan<byte> json, ref TBody body, ref string? error);

    /// <summary>Runs <paramref name="parse"/> over <paramref name="json"/>. Never throws on a bad body.</summary>
    /// <param name="json">The body.</param>
    /// <param name="parse">The reader's own parser.</param>
    /// <param name="body">What <paramref name="parse"/> fills.</param>
    /// <param name="notJson">The start of the error for a body that is not JSON (the reader's message follows).</param>
    /// <param name="tail">What the UTF-8 and not-JSON errors end with.</param>
    /// <param name="notUnicode">
    /// The error for a string holding a lone surrogate escape (an <see cref="InvalidOperationException"/> from
    /// <see cref="Utf8JsonReader.GetString"/>), or null when the parser handles those itself (the exception then escapes).
    /// </param>
    /// <param name="error">What is wrong, when parsing fails.</param>
    /// <returns>True when <paramref name="parse"/> accepted the body.</returns>
    public static bool TryParse<TBody>(ReadOnlySpan<byte> json, Parser<TBody> parse, ref TBody body, string notJson, string tail, string? notUnicode, out string? error)
    {
        error = null;
        if (!Utf8.IsValid(json))
        {
            // JSON text is UTF-8 (RFC 8259); values are stored as sent, so a stray byte would be served back to every reader.
            error = "The body is not valid UTF-8; JSON text must be. " + tail;
            return false;
        }

        try
        {
            return parse(json, ref body, ref error);
        }
        catch (JsonException exception)
        {
            error = $"{notJson}{exception.Message} {tail}";
            return false;
        }
        catch (InvalidOperationException) when (notUnicode is not null)
        {
            error = notUnicode;
            return false;
        }
    }

    /// <summary>False, with <see cref="TrailingContent"/>, when the reader finds anything after the object it ended on.</summary>
    public static bool AtEnd(ref Utf8JsonReader reader, ref string? error)
    {
        if (reader.Read())
        {
            error = TrailingContent;
            return false;
        }

        return true;
    }
}
