using System.Buffers;
using System.Text;
using System.Text.Json;
using Motadata.Cache.Serialization;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>The stored value format and the default serializer, without a server.</summary>
public sealed class PayloadCodecTests
{
    private static readonly Person s_ada = new("Ada", 36, ["admin"]);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EveryKindOfValueRoundTrips(bool withChecksum)
    {
        Assert.Equal("héllo", RoundTrip<string>("héllo", withChecksum));
        Assert.Equal(string.Empty, RoundTrip<string>(string.Empty, withChecksum));
        Assert.Equal(new byte[] { 0, 255 }, RoundTrip<byte[]>(new byte[] { 0, 255 }, withChecksum));
        Assert.Equal(42, RoundTrip<int>(42, withChecksum));
        Assert.Equal(s_ada.Tags, RoundTrip<Person>(s_ada, withChecksum)!.Tags);
        Assert.Null(RoundTrip<string?>(null, withChecksum));
        Assert.Equal("as object", RoundTrip<object>("as object", withChecksum));
    }

    [Fact]
    public void EverySingleFlippedBitOfACheckedPayloadIsCaught()
    {
        var good = Encode("a value worth checking", withChecksum: true);
        for (var bit = 0; bit < good.Length * 8; bit++)
        {
            var damaged = good.ToArray();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));

            var status = PayloadCodec.Decode<string>(damaged, SystemTextJsonCacheSerializer.Default, out var value, out var problem);

            Assert.True(status == PayloadStatus.Corrupt, $"bit {bit} flipped was read as {status}: \"{value}\"");
            Assert.False(string.IsNullOrEmpty(problem));
        }
    }

    [Fact]
    public void AValueOfAnotherKindIsTheWrongTypeNotCorrupt()
    {
        var text = Encode("text", withChecksum: true);
        var number = Encode(7, withChecksum: true);
        var nothing = Encode<string?>(null, withChecksum: true);

        Assert.Equal(PayloadStatus.WrongType, PayloadCodec.Decode<int>(text, SystemTextJsonCacheSerializer.Default, out _, out _));
        Assert.Equal(PayloadStatus.WrongType, PayloadCodec.Decode<byte[]>(text, SystemTextJsonCacheSerializer.Default, out _, out _));
        Assert.Equal(PayloadStatus.WrongType, PayloadCodec.Decode<string>(number, SystemTextJsonCacheSerializer.Default, out _, out _));
        Assert.Equal(PayloadStatus.WrongType, PayloadCodec.Decode<int>(nothing, SystemTextJsonCacheSerializer.Default, out _, out _));
        Assert.Equal(PayloadStatus.Found, PayloadCodec.Decode<int?>(nothing, SystemTextJsonCacheSerializer.Default, out _, out _));
    }

    [Fact]
    public void TextThatIsNotUtf8IsCorrupt()
    {
        byte[] payload = [PayloadCodec.FormatVersion, PayloadCodec.UncheckedMarker | (byte)PayloadKind.String, 0xC3, 0x28];

        Assert.Equal(PayloadStatus.Corrupt, PayloadCodec.Decode<string>(payload, SystemTextJsonCacheSerializer.Default, out _, out var problem));
        Assert.Contains("UTF-8", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TheValueLengthIsTheValueAloneWithoutTheHeader()
    {
        var payload = PayloadCodec.Encode(new byte[100], SystemTextJsonCacheSerializer.Default, withChecksum: true);

        Assert.Equal(100, payload.ValueLength);
        Assert.Equal(100 + PayloadCodec.HeaderLength + PayloadCodec.ChecksumLength, payload.Memory.Length);
        payload.Return();
    }

    [Fact]
    public void LargeValuesGrowThePooledBuffer()
    {
        var big = new Person(new string('x', 100_000), 1, Enumerable.Range(0, 1000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList());

        Assert.Equal(big.Name, RoundTrip<Person>(big, withChecksum: true)!.Name);
    }

    [Fact]
    public void TheSerializerRejectsTrailingBytesAndTruncatedJsonInEverySegmentLayout()
    {
        var serializer = SystemTextJsonCacheSerializer.Default;
        var json = Encoding.UTF8.GetBytes("{\"Name\":\"Ada\",\"Age\":36,\"Tags\":[]}");

        Assert.Equal("Ada", serializer.Deserialize<Person>(new ReadOnlySequence<byte>(json)).Name);
        Assert.Equal("Ada", serializer.Deserialize<Person>(TwoSegments(json)).Name);
        Assert.ThrowsAny<JsonException>(() => serializer.Deserialize<Person>(new ReadOnlySequence<byte>([.. json, .. "{}"u8])));
        Assert.ThrowsAny<JsonException>(() => serializer.Deserialize<Person>(TwoSegments([.. json, .. "{}"u8])));
        Assert.ThrowsAny<JsonException>(() => serializer.Deserialize<Person>(new ReadOnlySequence<byte>(json[..^3])));
        Assert.ThrowsAny<JsonException>(() => serializer.Deserialize<Person>(new ReadOnlySequence<byte>("[1,2]"u8.ToArray())));
    }

    [Fact]
    public void TheSerializerUsesTheGivenOptions()
    {
        var serializer = new SystemTextJsonCacheSerializer(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        var writer = new ArrayBufferWriter<byte>();

        serializer.Serialize(s_ada, writer);

        Assert.Equal("{\"name\":\"Ada\",\"age\":36,\"tags\":[\"admin\"]}", Encoding.UTF8.GetString(writer.WrittenSpan));
        Assert.True(serializer.Options.IsReadOnly);
    }

    [Fact]
    public void ASourceGeneratedContextSerializesWithoutReflection()
    {
        var serializer = new SystemTextJsonCacheSerializer(TestJsonContext.Default);
        var writer = new ArrayBufferWriter<byte>();

        serializer.Serialize(s_ada, writer);

        Assert.Equal(s_ada.Name, serializer.Deserialize<Person>(new ReadOnlySequence<byte>(writer.WrittenMemory)).Name);
        Assert.Throws<NotSupportedException>(() => serializer.Serialize(new Uri("https://example.com"), new ArrayBufferWriter<byte>()));
    }

    private static T? RoundTrip<T>(T value, bool withChecksum)
    {
        var bytes = Encode(value, withChecksum);
        var status = PayloadCodec.Decode<T>(bytes, SystemTextJsonCacheSerializer.Default, out var read, out var problem);
        Assert.True(status == PayloadStatus.Found, problem);
        return read;
    }

    private static byte[] Encode<T>(T value, bool withChecksum)
    {
        var payload = PayloadCodec.Encode(value, SystemTextJsonCacheSerializer.Default, withChecksum);
        var bytes = payload.Memory.ToArray();
        payload.Return();
        return bytes;
    }

    private static ReadOnlySequence<byte> TwoSegments(byte[] bytes)
    {
        var half = bytes.Length / 2;
        var first = new Segment(bytes.AsMemory(0, half), 0);
        var second = new Segment(bytes.AsMemory(half), half);
        first.SetNext(second);
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
