using System.Text;
using Motadata.Cache.Serialization;
using StackExchange.Redis;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// The bytes the Dragonfly backend stores: a header with version and checksum, raw strings and byte arrays, TTLs set
/// on the server, values over the size limit refused, and damaged values written behind the cache's back treated
/// as misses, counted and removed, never thrown and never returned.
/// </summary>
public sealed class DragonflyPayloadTests : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly Person s_ada = new("Ada", 36, ["admin", "math"]);

    private readonly RedisServerFixture _fixture;
    private readonly string _prefix = RedisServerFixture.UniquePrefix("payload");
    private readonly List<CacheMechanism> _caches = [];

    public DragonflyPayloadTests(RedisServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> Damages => new()
    {
        "garbage bytes",
        "another application's text",
        "empty",
        "truncated",
        "bad checksum",
        "unknown version",
        "unknown flags",
        "valid header but JSON of the wrong shape",
        "valid header but not JSON at all",
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task WhenAStoredValueIsDamagedGetMissesCountsItAndRemovesItFromTheServer(string damage)
    {
        var cache = CreateCache();
        var serverKey = RedisServerFixture.ServerKey(_prefix, "t", "person");
        await _fixture.Raw.StringSetAsync(serverKey, Damaged(damage));

        var value = cache.Get<Person>("person", "t");

        Assert.Null(value);
        var stats = cache.GetStats("t");
        Assert.Equal(1, stats.CorruptPayloads);
        Assert.Equal(1, stats.Misses);
        Assert.False(await _fixture.Raw.KeyExistsAsync(serverKey));
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task WhenAStoredValueIsDamagedGetAsyncMissesCountsItAndRemovesItFromTheServer(string damage)
    {
        var cache = CreateCache();
        var serverKey = RedisServerFixture.ServerKey(_prefix, null, "person");
        await _fixture.Raw.StringSetAsync(serverKey, Damaged(damage));

        var value = await cache.GetAsync<Person>("person");

        Assert.Null(value);
        Assert.Equal(1, cache.GetStats().CorruptPayloads);
        Assert.False(await _fixture.Raw.KeyExistsAsync(serverKey));
    }

    [Fact]
    public async Task WhenAnotherClientPutsAListUnderOurKeyGetMissesCountsItAndRemovesIt()
    {
        var cache = CreateCache();
        var syncKey = RedisServerFixture.ServerKey(_prefix, "t", "list");
        var asyncKey = RedisServerFixture.ServerKey(_prefix, "t", "hash");
        await _fixture.Raw.ListLeftPushAsync(syncKey, "item");
        await _fixture.Raw.HashSetAsync(asyncKey, "field", "value");

        Assert.Null(cache.Get<string>("list", "t"));
        Assert.Null(await cache.GetAsync<string>("hash", "t"));

        var stats = cache.GetStats("t");
        Assert.Equal(2, stats.CorruptPayloads);
        Assert.Equal(0, cache.GetStats().BackendFailures);
        Assert.False(await _fixture.Raw.KeyExistsAsync(syncKey));
        Assert.False(await _fixture.Raw.KeyExistsAsync(asyncKey));
    }

    [Fact]
    public async Task ADamagedValueAndRefusedValuesAreLoggedAsWarningsOncePerCall()
    {
        var logs = new Recovery.RecordingLoggerFactory();
        var cache = CreateCache(config =>
        {
            config.LoggerFactory = logs;
            config.MaxValueBytes = 10;
        });
        await _fixture.Raw.StringSetAsync(RedisServerFixture.ServerKey(_prefix, "t", "bad"), Damaged("bad checksum"));

        cache.Get<Person>("bad", "t");
        cache.Set("big", new string('x', 11), tenantId: "t");
        cache.WarmCache(Enumerable.Range(0, 50).Select(i => KeyValuePair.Create($"w{i}", new string('y', 20))), tenantId: "t");

        var warnings = logs.Lines.Where(l => l.Level == Microsoft.Extensions.Logging.LogLevel.Warning).Select(l => l.Message).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.Contains(RedisServerFixture.ServerKey(_prefix, "t", "bad"), warnings[0], StringComparison.Ordinal);
        Assert.Contains("checksum", warnings[0], StringComparison.Ordinal);
        Assert.Contains("MaxValueBytes", warnings[1], StringComparison.Ordinal);
        Assert.Contains("50 value(s)", warnings[2], StringComparison.Ordinal);
        Assert.Equal(51, cache.GetStats("t").RejectedValues);
    }

    [Fact]
    public async Task WhenSomeValuesOfABatchAreDamagedGetManyReturnsTheGoodOnesAndRemovesTheRest()
    {
        var cache = CreateCache();
        cache.Set("good", s_ada, tenantId: "t");
        await _fixture.Raw.StringSetAsync(RedisServerFixture.ServerKey(_prefix, "t", "bad"), Damaged("bad checksum"));

        var hits = await cache.GetManyAsync<Person>(["good", "bad"], "t");

        Assert.Equal(["good"], hits.Keys);
        Assert.Equal(1, cache.GetStats("t").CorruptPayloads);
        Assert.False(await _fixture.Raw.KeyExistsAsync(RedisServerFixture.ServerKey(_prefix, "t", "bad")));
    }

    [Fact]
    public async Task StringsAndByteArraysAreStoredRawWithoutJson()
    {
        var cache = CreateCache(config => config.EnableValidation = false);
        cache.Set("text", "héllo \"world\"", tenantId: "t");
        cache.Set("bytes", new byte[] { 0, 1, 2, 255 }, tenantId: "t");

        var text = (byte[])(await _fixture.Raw.StringGetAsync(RedisServerFixture.ServerKey(_prefix, "t", "text")))!;
        var bytes = (byte[])(await _fixture.Raw.StringGetAsync(RedisServerFixture.ServerKey(_prefix, "t", "bytes")))!;

        Assert.Equal([PayloadCodec.FormatVersion, PayloadCodec.UncheckedMarker | (byte)PayloadKind.String, .. Encoding.UTF8.GetBytes("héllo \"world\"")], text);
        Assert.Equal([PayloadCodec.FormatVersion, PayloadCodec.UncheckedMarker | (byte)PayloadKind.Bytes, 0, 1, 2, 255], bytes);
        Assert.Equal("héllo \"world\"", cache.Get<string>("text", "t"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, cache.Get<byte[]>("bytes", "t"));
    }

    [Fact]
    public async Task WithValidationEveryValueCarriesAChecksumAndReadsBack()
    {
        var cache = CreateCache();
        cache.Set("text", "plain text", tenantId: "t");
        cache.Set("person", s_ada, tenantId: "t");

        var text = (byte[])(await _fixture.Raw.StringGetAsync(RedisServerFixture.ServerKey(_prefix, "t", "text")))!;

        Assert.Equal(PayloadCodec.FormatVersion, text[0]);
        Assert.Equal(PayloadCodec.CheckedMarker | (byte)PayloadKind.String, text[1]);
        Assert.Equal("plain text", Encoding.UTF8.GetString(text, PayloadCodec.HeaderLength + PayloadCodec.ChecksumLength, text.Length - 10));
        Assert.Equal("plain text", cache.Get<string>("text", "t"));
        Assert.Equal(s_ada.Name, cache.Get<Person>("person", "t")!.Name);
    }

    [Fact]
    public void WhenValidationIsOffValuesStillRoundTripAndInstancesWithEitherSettingShareThem()
    {
        var unchecked_ = CreateCache(config => config.EnableValidation = false);
        var checked_ = CreateCache();

        unchecked_.Set("p", s_ada, tenantId: "t");
        checked_.Set("q", s_ada, tenantId: "t");

        Assert.Equal(s_ada.Tags, unchecked_.Get<Person>("p", "t")!.Tags);
        Assert.Equal(s_ada.Tags, checked_.Get<Person>("p", "t")!.Tags);
        Assert.Equal(s_ada.Tags, unchecked_.Get<Person>("q", "t")!.Tags);
        Assert.Equal(0, unchecked_.GetStats().CorruptPayloads + checked_.GetStats().CorruptPayloads);
    }

    [Fact]
    public void WhenAValueIsReadAsAnotherKindItIsAMissAndStaysCached()
    {
        var cache = CreateCache();
        cache.Set("text", "hello", tenantId: "t");
        cache.Set("person", s_ada, tenantId: "t");

        Assert.False(cache.TryGet<int>("text", out _, "t"));
        Assert.False(cache.TryGet<byte[]>("text", out _, "t"));
        Assert.False(cache.TryGet<string>("person", out _, "t"));

        Assert.Equal("hello", cache.Get<string>("text", "t"));
        Assert.Equal("Ada", cache.Get<Person>("person", "t")!.Name);
        Assert.Equal(0, cache.GetStats("t").CorruptPayloads);
    }

    [Fact]
    public void ACachedNullIsAHit()
    {
        var cache = CreateCache();
        cache.Set<string?>("none", null, tenantId: "t");
        cache.Set<int?>("no-number", null, tenantId: "t");

        Assert.True(cache.TryGet<string?>("none", out var text, "t"));
        Assert.Null(text);
        Assert.True(cache.TryGet<int?>("no-number", out var number, "t"));
        Assert.Null(number);
        Assert.False(cache.TryGet<int>("no-number", out _, "t"));
    }

    [Fact]
    public async Task TheTtlIsSetOnTheServerWithTheValue()
    {
        var cache = CreateCache();
        cache.Set("hour", "v", TimeSpan.FromHours(1), "t");
        await cache.SetAsync("ms", "v", TimeSpan.FromMilliseconds(90_000.2), "t");
        cache.Set("forever", "v", Timeout.InfiniteTimeSpan, "t");
        cache.WarmCache([KeyValuePair.Create("warm", "v")], TimeSpan.FromMinutes(5), "t");

        var hour = await _fixture.Raw.KeyTimeToLiveAsync(RedisServerFixture.ServerKey(_prefix, "t", "hour"));
        var ms = await _fixture.Raw.KeyTimeToLiveAsync(RedisServerFixture.ServerKey(_prefix, "t", "ms"));
        var forever = await _fixture.Raw.KeyTimeToLiveAsync(RedisServerFixture.ServerKey(_prefix, "t", "forever"));
        var warm = await _fixture.Raw.KeyTimeToLiveAsync(RedisServerFixture.ServerKey(_prefix, "t", "warm"));

        Assert.InRange(hour!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        Assert.InRange(ms!.Value, TimeSpan.FromSeconds(80), TimeSpan.FromMilliseconds(90_001));
        Assert.Null(forever);
        Assert.True(await _fixture.Raw.KeyExistsAsync(RedisServerFixture.ServerKey(_prefix, "t", "forever")));
        Assert.InRange(warm!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task SettingAValueWithoutExpiryRemovesTheOldExpiry()
    {
        var cache = CreateCache();
        cache.Set("k", "v1", TimeSpan.FromHours(1));
        cache.Set("k", "v2", Timeout.InfiniteTimeSpan);

        Assert.Null(await _fixture.Raw.KeyTimeToLiveAsync(RedisServerFixture.ServerKey(_prefix, null, "k")));
        Assert.Equal("v2", cache.Get<string>("k"));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(10_000, 1)]
    [InlineData(10_001, 2)]
    [InlineData(15_000_000, 1_500)]
    public void TtlsAreSentInWholeMillisecondsRoundedUp(long ticks, long expectedMilliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), Stores.Backends.Dragonfly.DragonflyStore.Expiry(TimeSpan.FromTicks(ticks)));
    }

    [Fact]
    public async Task AHugeTtlIsClampedToWhatTheServerAccepts()
    {
        var cache = CreateCache();

        Assert.True(cache.Set("k", "v", TimeSpan.MaxValue));

        Assert.Null(Stores.Backends.Dragonfly.DragonflyStore.Expiry(Timeout.InfiniteTimeSpan));
        var ttl = await _fixture.Raw.KeyTimeToLiveAsync(RedisServerFixture.ServerKey(_prefix, null, "k"));
        Assert.InRange(ttl!.Value, TimeSpan.FromDays(1499), Stores.Backends.Dragonfly.DragonflyStore.MaxTtl);
    }

    [Fact]
    public async Task AValueOverMaxValueBytesIsRefusedCountedAndNotStored()
    {
        var cache = CreateCache(config => config.MaxValueBytes = 1_000);

        Assert.True(cache.Set("fits", new byte[1_000], tenantId: "t"));
        Assert.False(cache.Set("big", new byte[1_001], tenantId: "t"));
        Assert.False(await cache.SetAsync("big-text", new string('x', 1_001), tenantId: "t"));
        Assert.False(cache.Set("big-object", new Person(new string('x', 1_000), 1, []), tenantId: "t"));

        var stats = cache.GetStats("t");
        Assert.Equal(3, stats.RejectedValues);
        Assert.Equal(1, stats.Sets);
        Assert.Equal(["fits"], (await _fixture.KeysStartingWithAsync(_prefix)).Select(k => k[(k.LastIndexOf(':') + 1)..]));
    }

    [Fact]
    public async Task WarmCacheStoresTheValuesThatFitAndCountsTheOthers()
    {
        var cache = CreateCache(config => config.MaxValueBytes = 10);
        var entries = new Dictionary<string, string> { ["a"] = "small", ["b"] = new string('x', 11), ["c"] = "ok", ["d"] = new string('y', 50) };

        Assert.Equal(2, await cache.WarmCacheAsync(entries, tenantId: "t"));
        Assert.Equal(2, cache.WarmCache(entries, tenantId: "u"));

        Assert.Equal(2, cache.GetStats("t").RejectedValues);
        Assert.Equal(2, cache.GetStats("u").RejectedValues);
        Assert.Equal(4, (await _fixture.KeysStartingWithAsync(_prefix)).Count);
    }

    [Fact]
    public void ASourceGeneratedSerializerContextIsUsedForObjects()
    {
        var cache = CreateCache(config => config.Serializer = new SystemTextJsonCacheSerializer(TestJsonContext.Default));

        cache.Set("p", s_ada);
        cache.Set("n", 42);

        Assert.Equal(s_ada.Tags, cache.Get<Person>("p")!.Tags);
        Assert.Equal(42, cache.Get<int>("n"));
    }

    private static byte[] Damaged(string damage)
    {
        var good = Encode(s_ada, withChecksum: true);
        switch (damage)
        {
            case "garbage bytes":
                return [0xFF, 0x00, 0x13, 0x37, 0xC0];
            case "another application's text":
                return Encoding.UTF8.GetBytes("{\"Name\":\"Ada\",\"Age\":36,\"Tags\":[]}");
            case "empty":
                return [];
            case "truncated":
                return good[..^5];
            case "bad checksum":
                good[^3] ^= 0x20;
                return good;
            case "unknown version":
                good[0] = 9;
                return good;
            case "unknown flags":
                good[1] |= 0x10;
                return good;
            case "valid header but JSON of the wrong shape":
                return Encode(new[] { 1, 2, 3 }, withChecksum: true);
            case "valid header but not JSON at all":
                var text = Encode("not json", withChecksum: false);
                text[1] = PayloadCodec.UncheckedMarker | (byte)PayloadKind.Serialized;
                return text;
            default:
                throw new ArgumentOutOfRangeException(nameof(damage), damage, "No such damage.");
        }
    }

    private static byte[] Encode<T>(T value, bool withChecksum)
    {
        var payload = PayloadCodec.Encode(value, SystemTextJsonCacheSerializer.Default, withChecksum);
        var bytes = payload.Memory.ToArray();
        payload.Return();
        return bytes;
    }

    private CacheMechanism CreateCache(Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = _fixture.Server.Url,
            KeyPrefix = _prefix,

            // Failures surface as exceptions here (recovery would turn them into misses and hide them), and the
            // timeout is generous because the test machine is shared.
            EnableRecovery = false,
            OperationTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(config);
        var cache = new CacheMechanism(config);
        _caches.Add(cache);
        return cache;
    }
}
