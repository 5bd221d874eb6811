using System.Collections.Frozen;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Motadata.Cache.AI.Internal;

/// <summary>
/// The one canonical form of a request that every AI cache key is hashed from (the chat client's exact key, the
/// semantic layer's scope and the agent middleware's key): everything that reaches the model and can change its answer,
/// written in a fixed order; nothing that cannot (the cache's own controls, empty collections, null options).
/// </summary>
/// <remarks>
/// Each <see cref="ChatOptions"/> property is written by name here, not by serializing the options: a serializer skips
/// what it is told to ignore (the tools are <c>[JsonIgnore]</c>) and writes an empty options object differently from
/// none. <see cref="OptionsClassification"/> lists every property and what is done with it; a test fails when
/// Microsoft.Extensions.AI adds one that is not listed.
/// </remarks>
internal static class CanonicalRequest
{
    /// <summary>Part of the key.</summary>
    public const string Keyed = "key";

    /// <summary>
    /// Every public settable property of <see cref="ChatOptions"/>, with how the key treats it: <see cref="Keyed"/>, or
    /// why it is left out.
    /// </summary>
    public static readonly FrozenDictionary<string, string> OptionsClassification = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [nameof(ChatOptions.ModelId)] = Keyed, // written as "model", with the client's default model when null
        [nameof(ChatOptions.Instructions)] = Keyed,
        [nameof(ChatOptions.Temperature)] = Keyed,
        [nameof(ChatOptions.MaxOutputTokens)] = Keyed,
        [nameof(ChatOptions.TopP)] = Keyed,
        [nameof(ChatOptions.TopK)] = Keyed,
        [nameof(ChatOptions.FrequencyPenalty)] = Keyed,
        [nameof(ChatOptions.PresencePenalty)] = Keyed,
        [nameof(ChatOptions.Seed)] = Keyed,
        [nameof(ChatOptions.Reasoning)] = Keyed,
        [nameof(ChatOptions.ResponseFormat)] = Keyed,
        [nameof(ChatOptions.StopSequences)] = Keyed,
        [nameof(ChatOptions.AllowMultipleToolCalls)] = Keyed,
        [nameof(ChatOptions.ToolMode)] = Keyed,
        [nameof(ChatOptions.Tools)] = Keyed,
        [nameof(ChatOptions.AllowBackgroundResponses)] = Keyed,
        [nameof(ChatOptions.AdditionalProperties)] = Keyed, // without the motadata.cache.* controls, in key order
        [nameof(ChatOptions.ConversationId)] = Keyed, // and such a request bypasses the chat cache: the service holds the conversation
        [nameof(ChatOptions.RawRepresentationFactory)] = Keyed, // by the delegate's method only: what it captures cannot be seen
        [nameof(ChatOptions.ContinuationToken)] = "not keyed: a request polling a background response bypasses the cache",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>What a tool other than a function declaration adds to <see cref="AITool"/> (its name, description and properties are written apart).</summary>
    private static readonly PropertyScanner s_toolProperties = new(
        static property => property.Name is not (nameof(AITool.Name) or nameof(AITool.Description) or nameof(AITool.AdditionalProperties)));

    /// <summary>Writes <c>"messages": [...]</c>.</summary>
    public static void WriteMessages(Utf8JsonWriter writer, IEnumerable<ChatMessage> messages, JsonSerializerOptions json)
    {
        writer.WritePropertyName("messages");
        writer.WriteStartArray();
        var messageInfo = json.GetTypeInfo(typeof(ChatMessage));
        foreach (var message in messages)
        {
            JsonSerializer.Serialize(writer, message, messageInfo);
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// Writes the keyed properties of <paramref name="options"/> into the current object, each only when set (so null
    /// options, <c>new ChatOptions()</c> and options holding only cache controls write the same: nothing).
    /// <see cref="ChatOptions.ModelId"/> is not written here: the caller writes the model, with its default.
    /// </summary>
    public static void WriteOptions(Utf8JsonWriter writer, ChatOptions? options, JsonSerializerOptions json)
    {
        if (options is null)
        {
            return;
        }

        WriteString(writer, "instructions", options.Instructions);
        WriteNumber(writer, "temperature", options.Temperature);
        WriteNumber(writer, "maxOutputTokens", options.MaxOutputTokens);
        WriteNumber(writer, "topP", options.TopP);
        WriteNumber(writer, "topK", options.TopK);
        WriteNumber(writer, "frequencyPenalty", options.FrequencyPenalty);
        WriteNumber(writer, "presencePenalty", options.PresencePenalty);
        WriteNumber(writer, "seed", options.Seed);

        if (options.Reasoning is { } reasoning)
        {
            writer.WritePropertyName("reasoning");
            JsonSerializer.Serialize(writer, reasoning, json.GetTypeInfo(typeof(ReasoningOptions)));
        }

        WriteResponseFormat(writer, options.ResponseFormat);
        if (options.StopSequences is { Count: > 0 } stops)
        {
            writer.WritePropertyName("stop");
            writer.WriteStartArray();
            foreach (var stop in stops)
            {
                writer.WriteStringValue(stop);
            }

            writer.WriteEndArray();
        }

        if (options.AllowMultipleToolCalls is { } allowMultiple)
        {
            writer.WriteBoolean("allowMultipleToolCalls", allowMultiple);
        }

        switch (options.ToolMode)
        {
            case null:
                break;
            case NoneChatToolMode:
                writer.WriteString("toolMode", "none");
                break;
            case AutoChatToolMode:
                writer.WriteString("toolMode", "auto");
                break;
            case RequiredChatToolMode required:
                writer.WriteString("toolMode", "required");
                WriteString(writer, "requiredFunction", required.RequiredFunctionName);
                break;
            case { } other:
                writer.WriteString("toolMode", other.GetType().FullName);
                break;
        }

        if (options.Tools is { Count: > 0 } tools)
        {
            writer.WritePropertyName("tools");
            writer.WriteStartArray();
            foreach (var tool in tools)
            {
                WriteTool(writer, tool, json);
            }

            writer.WriteEndArray();
        }

        if (options.AllowBackgroundResponses is { } background)
        {
            writer.WriteBoolean("allowBackgroundResponses", background);
        }

        WriteString(writer, "conversationId", options.ConversationId);
        if (options.RawRepresentationFactory is { } factory)
        {
            WriteDelegate(writer, "rawRepresentationFactory", factory);
        }

        WriteProperties(writer, "properties", options.AdditionalProperties, json);
    }

    /// <summary>
    /// Writes <paramref name="properties"/> as an object named <paramref name="name"/>, in ordinal key order and
    /// without the cache's own control keys; nothing when none is left.
    /// </summary>
    public static void WriteProperties(Utf8JsonWriter writer, string name, IReadOnlyDictionary<string, object?>? properties, JsonSerializerOptions json)
    {
        if (properties is null || properties.Count == 0)
        {
            return;
        }

        List<string>? keys = null;
        foreach (var pair in properties)
        {
            if (!CacheControls.IsControlKey(pair.Key))
            {
                (keys ??= new List<string>(properties.Count)).Add(pair.Key);
            }
        }

        if (keys is null)
        {
            return;
        }

        keys.Sort(StringComparer.Ordinal);
        writer.WritePropertyName(name);
        writer.WriteStartObject();
        foreach (var key in keys)
        {
            writer.WritePropertyName(key);
            WriteValue(writer, properties[key], json);
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes <c>"responseFormat"</c> when set: its kind, and for JSON its schema, name and description.</summary>
    public static void WriteResponseFormat(Utf8JsonWriter writer, ChatResponseFormat? format)
    {
        switch (format)
        {
            case null:
                return;
            case ChatResponseFormatText:
                writer.WriteString("responseFormat", "text");
                return;
            case ChatResponseFormatJson jsonFormat:
                writer.WritePropertyName("responseFormat");
                writer.WriteStartObject();
                writer.WriteString("kind", "json");
                if (jsonFormat.Schema is { } schema)
                {
                    writer.WritePropertyName("schema");
                    schema.WriteTo(writer);
                }

                WriteString(writer, "name", jsonFormat.SchemaName);
                WriteString(writer, "description", jsonFormat.SchemaDescription);
                writer.WriteEndObject();
                return;
            default:
                writer.WriteString("responseFormat", format.GetType().FullName);
                return;
        }
    }

    /// <summary>
    /// Writes one tool: its kind (type), name and description, and what the model is shown of it. A function
    /// declaration: its parameter and return JSON schemas. Any other tool (hosted tools): every public property it
    /// adds to <see cref="AITool"/>, so a new kind of tool is keyed by what it carries without code here.
    /// </summary>
    private static void WriteTool(Utf8JsonWriter writer, AITool tool, JsonSerializerOptions json)
    {
        writer.WriteStartObject();
        writer.WriteString("type", tool.GetType().FullName);
        writer.WriteString("name", tool.Name);
        WriteString(writer, "description", tool.Description);
        if (tool is AIFunctionDeclaration function)
        {
            writer.WritePropertyName("schema");
            function.JsonSchema.WriteTo(writer);
            if (function.ReturnJsonSchema is { } returns)
            {
                writer.WritePropertyName("returns");
                returns.WriteTo(writer);
            }
        }
        else
        {
            foreach (var property in s_toolProperties.Of(tool.GetType()))
            {
                var value = property.GetValue(tool);
                if (value is null)
                {
                    continue;
                }

                if (value is Delegate callback)
                {
                    WriteDelegate(writer, property.Name, callback);
                    continue;
                }

                writer.WritePropertyName(property.Name);
                WriteValue(writer, value, json);
            }
        }

        WriteProperties(writer, "properties", tool.AdditionalProperties, json);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes <paramref name="value"/> as the serializer does. A value it cannot write (no contract for its type, a
    /// cycle) throws <see cref="NotSupportedException"/> or <see cref="JsonException"/>: the request has no faithful key,
    /// and the caller (<see cref="RequestHasher.TryHash"/>) lets it bypass the cache. A lossy stand-in (its type name and
    /// text) would give two different values one key, and so serve one request another's answer.
    /// </summary>
    private static void WriteValue(Utf8JsonWriter writer, object? value, JsonSerializerOptions json)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }

        try
        {
            JsonSerializer.Serialize(writer, value, json.GetTypeInfo(value.GetType()));
        }
        catch (InvalidOperationException error)
        {
            // Thrown by some contracts (a property the resolver cannot describe); the same verdict: no faithful key.
            throw new NotSupportedException($"A {value.GetType().FullName} in the request cannot be serialized for its cache key.", error);
        }
    }

    /// <summary>
    /// A delegate cannot be hashed by what it does: its method (declaring type and name, stable for one build) is
    /// written, so two different factories never share a key; what a closure captures is not seen.
    /// </summary>
    private static void WriteDelegate(Utf8JsonWriter writer, string name, Delegate callback)
    {
        var method = callback.Method;
        writer.WriteString(name, string.Concat(method.DeclaringType?.FullName, ".", method.Name));
    }

    private static void WriteString(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    // One overload per type the options use: a float written as a double would print other digits (and move the key).
    private static void WriteNumber(Utf8JsonWriter writer, string name, float? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, int? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }
}
