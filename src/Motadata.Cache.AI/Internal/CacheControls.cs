using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Motadata.Cache.AI.Internal;

/// <summary>The per-request cache controls of one request (<see cref="AICacheProperties"/>), read and checked once.</summary>
internal readonly struct CacheControls
{
    private static readonly System.Buffers.SearchValues<char> s_namespaceForbidden = System.Buffers.SearchValues.Create("*?[]\\:");

    public bool NoCache { get; init; }

    public bool NoStore { get; init; }

    public TimeSpan? Ttl { get; init; }

    public TimeSpan? MaxAge { get; init; }

    public string? Namespace { get; init; }

    /// <summary>Reads the controls from <paramref name="properties"/>; <paramref name="owner"/> names the options type in errors.</summary>
    public static CacheControls Read(AdditionalPropertiesDictionary? properties, string owner)
    {
        if (properties is null || properties.Count == 0)
        {
            return default;
        }

        return new CacheControls
        {
            NoCache = ReadBool(properties, AICacheProperties.NoCache, owner),
            NoStore = ReadBool(properties, AICacheProperties.NoStore, owner),
            Ttl = ReadDuration(properties, AICacheProperties.Ttl, owner, allowZero: false),
            MaxAge = ReadDuration(properties, AICacheProperties.MaxAge, owner, allowZero: true),
            Namespace = ReadNamespace(properties, owner),
        };
    }

    /// <summary>
    /// True for the cache's own keys, which are left out of every cache key. Compared ignoring case, as
    /// <see cref="AdditionalPropertiesDictionary"/> looks keys up (<see cref="Read"/> honours <c>"Motadata.Cache.NoCache"</c>,
    /// so it must not move the request to another key either).
    /// </summary>
    public static bool IsControlKey(string key) =>
        key.StartsWith("motadata.cache.", StringComparison.OrdinalIgnoreCase)
        && (IsKey(key, AICacheProperties.TenantId) || IsKey(key, AICacheProperties.NoCache) || IsKey(key, AICacheProperties.NoStore)
            || IsKey(key, AICacheProperties.Ttl) || IsKey(key, AICacheProperties.MaxAge) || IsKey(key, AICacheProperties.Namespace));

    private static bool IsKey(string key, string control) => string.Equals(key, control, StringComparison.OrdinalIgnoreCase);

    private static bool ReadBool(AdditionalPropertiesDictionary properties, string name, string owner)
    {
        if (!properties.TryGetValue(name, out var value) || value is null)
        {
            return false;
        }

        switch (value)
        {
            case bool b:
                return b;
            case string s when bool.TryParse(s, out var parsed):
                return parsed;
            case JsonElement { ValueKind: JsonValueKind.True }:
                return true;
            case JsonElement { ValueKind: JsonValueKind.False }:
                return false;
            default:
                WrongType(owner, name, value, "a bool (or \"true\"/\"false\")");
                return false;
        }
    }

    private static TimeSpan? ReadDuration(AdditionalPropertiesDictionary properties, string name, string owner, bool allowZero)
    {
        if (!properties.TryGetValue(name, out var value) || value is null)
        {
            return null;
        }

        TimeSpan duration;
        switch (value)
        {
            case TimeSpan t:
                duration = t;
                break;
            case int i:
                duration = TimeSpan.FromSeconds(i);
                break;
            case long l:
                duration = TimeSpan.FromSeconds(l);
                break;
            case double d when double.IsFinite(d) && Math.Abs(d) < TimeSpan.MaxValue.TotalSeconds:
                duration = TimeSpan.FromSeconds(d);
                break;
            case JsonElement { ValueKind: JsonValueKind.Number } json when json.TryGetDouble(out var seconds) && Math.Abs(seconds) < TimeSpan.MaxValue.TotalSeconds:
                duration = TimeSpan.FromSeconds(seconds);
                break;
            default:
                WrongType(owner, name, value, "a TimeSpan or a number of seconds");
                return null;
        }

        if (duration < TimeSpan.Zero || (!allowZero && duration == TimeSpan.Zero))
        {
            BadValue(owner, name, duration.ToString("c", CultureInfo.InvariantCulture), allowZero ? "a duration of zero or more" : "a positive duration");
        }

        return duration;
    }

    private static string? ReadNamespace(AdditionalPropertiesDictionary properties, string owner)
    {
        if (!properties.TryGetValue(AICacheProperties.Namespace, out var value) || value is null)
        {
            return null;
        }

        var text = value switch
        {
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } json => json.GetString(),
            _ => null,
        };
        if (text is null)
        {
            WrongType(owner, AICacheProperties.Namespace, value, "a string");
        }

        if (text.Length == 0 || text.AsSpan().ContainsAny(s_namespaceForbidden))
        {
            BadValue(owner, AICacheProperties.Namespace, $"\"{text}\"", "a non-empty string without *, ?, [, ], \\ or :");
        }

        return text;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void WrongType(string owner, string name, object value, string expected) =>
        throw new ArgumentException(
            $"{owner}.AdditionalProperties[\"{name}\"] is a {value.GetType().Name} ({value}); it must be {expected}.", name);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void BadValue(string owner, string name, string value, string expected) =>
        throw new ArgumentException(
            $"{owner}.AdditionalProperties[\"{name}\"] is {value}; it must be {expected}.", name);
}
