using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Motadata.Cache;

/// <summary>
/// The default <see cref="ICacheSerializer"/>: System.Text.Json, with source-generated metadata when it is given
/// a <see cref="JsonSerializerContext"/> (or options whose <see cref="JsonSerializerOptions.TypeInfoResolver"/> is
/// one), else reflection. Writes UTF-8 JSON straight into the destination, reusing one writer per thread.
/// </summary>
/// <remarks>
/// Reading checks that the bytes hold exactly one JSON value of the requested type: trailing bytes, truncated JSON
/// and JSON of another shape all throw, so the cache treats them as corrupt instead of returning garbage.
/// </remarks>
public sealed class SystemTextJsonCacheSerializer : ICacheSerializer
{
    // One writer per thread, reset onto each destination: building a Utf8JsonWriter per value would allocate.
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    [ThreadStatic]
    private static SystemTextJsonCacheSerializer? t_writerOwner;

    private readonly JsonWriterOptions _writerOptions;
    private readonly JsonReaderOptions _readerOptions;

    /// <summary>Creates a serializer with <see cref="JsonSerializerOptions.Default"/> (reflection-based metadata).</summary>
    public SystemTextJsonCacheSerializer()
        : this(JsonSerializerOptions.Default)
    {
    }

    /// <summary>Creates a serializer with the given options, which become read-only.</summary>
    /// <param name="options">The options; their <see cref="JsonSerializerOptions.TypeInfoResolver"/> supplies the metadata.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public SystemTextJsonCacheSerializer(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.IsReadOnly)
        {
            // Without a resolver, fill in the reflection one (where reflection is enabled) so GetTypeInfo works.
            options.MakeReadOnly(populateMissingResolver: true);
        }

        Options = options;
        _writerOptions = new JsonWriterOptions
        {
            Encoder = options.Encoder,
            Indented = options.WriteIndented,
            MaxDepth = options.MaxDepth,
            SkipValidation = true,
        };
        _readerOptions = new JsonReaderOptions
        {
            AllowTrailingCommas = options.AllowTrailingCommas,
            CommentHandling = options.ReadCommentHandling,
            MaxDepth = options.MaxDepth,
        };
    }

    /// <summary>Creates a serializer that takes its metadata from a source-generated context (no reflection).</summary>
    /// <param name="context">The generated context, such as <c>MyJsonContext.Default</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> is null.</exception>
    public SystemTextJsonCacheSerializer(JsonSerializerContext context)
        : this((context ?? throw new ArgumentNullException(nameof(context))).Options)
    {
    }

    /// <summary>A shared instance over <see cref="JsonSerializerOptions.Default"/>.</summary>
    /// <value>The serializer the Dragonfly backend uses when <see cref="CacheConfig.Serializer"/> is null.</value>
    public static SystemTextJsonCacheSerializer Default { get; } = new();

    /// <summary>The options values are written and read with (read-only).</summary>
    public JsonSerializerOptions Options { get; }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The options have no metadata for <typeparamref name="T"/>.</exception>
    public void Serialize<T>(T value, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var typeInfo = (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
        var writer = t_writer;
        if (writer is null || !ReferenceEquals(t_writerOwner, this))
        {
            writer = new Utf8JsonWriter(destination, _writerOptions);
        }
        else
        {
            writer.Reset(destination);
        }

        // Taken off the thread while in use, so a serializer re-entered from a converter builds its own writer.
        t_writer = null;
        try
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
            writer.Flush();
        }
        finally
        {
            writer.Reset(NullBufferWriter.Instance);
            t_writer = writer;
            t_writerOwner = this;
        }
    }

    /// <inheritdoc />
    /// <exception cref="JsonException">The bytes are not one JSON value of type <typeparamref name="T"/>.</exception>
    /// <exception cref="NotSupportedException">The options have no metadata for <typeparamref name="T"/>.</exception>
    public T Deserialize<T>(ReadOnlySequence<byte> source)
    {
        var typeInfo = (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
        if (source.IsSingleSegment)
        {
            // The span overload rejects anything after the value.
            return JsonSerializer.Deserialize(source.FirstSpan, typeInfo)!;
        }

        var reader = new Utf8JsonReader(source, _readerOptions);
        var value = JsonSerializer.Deserialize(ref reader, typeInfo)!;
        if (reader.Read())
        {
            throw new JsonException($"Unexpected data after the JSON value, at byte {reader.TokenStartIndex}.");
        }

        return value;
    }

    /// <summary>Where an idle writer points, so it holds no reference to a caller's buffer.</summary>
    private sealed class NullBufferWriter : IBufferWriter<byte>
    {
        public static readonly NullBufferWriter Instance = new();

        public void Advance(int count)
        {
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => Array.Empty<byte>();

        public Span<byte> GetSpan(int sizeHint = 0) => [];
    }
}
