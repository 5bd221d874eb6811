using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Motadata.Cache.AI;
using Motadata.Cache.AI.Internal;

namespace Motadata.Cache.AI.Tests.Integrations;

/// <summary>What a request's key depends on, and what it must not.</summary>
public sealed class ChatCacheKeyTests : IAsyncLifetime
{
    private readonly CacheMechanism _cache = CacheMechanism.CreateMemory();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cache.DisposeAsync();

    private MotadataCachingChatClient Client(string version = "1", string model = "fake-model") =>
        new(new FakeChatClient { ModelId = model }, _cache, new ChatCacheOptions { Version = version });

    private static List<ChatMessage> Messages() => [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hi")];

    [Fact]
    public void WhenTheRequestIsTheSameTheKeyIsTheSame()
    {
        var key = Client().GetCacheKey(Messages(), new ChatOptions { Temperature = 0.2f, MaxOutputTokens = 100 });
        var again = Client().GetCacheKey(Messages(), new ChatOptions { MaxOutputTokens = 100, Temperature = 0.2f });

        Assert.Equal(key, again);
        Assert.StartsWith("chat:", key, StringComparison.Ordinal);
        Assert.Equal(5 + 64, key.Length);
    }

    [Fact]
    public void WhenModelOptionsOrVersionDifferTheKeyDiffers()
    {
        var baseline = Client().GetCacheKey(Messages());

        Assert.NotEqual(baseline, Client().GetCacheKey(Messages(), new ChatOptions { ModelId = "other-model" }));
        Assert.NotEqual(baseline, Client(model: "other-default").GetCacheKey(Messages()));
        Assert.NotEqual(baseline, Client().GetCacheKey(Messages(), new ChatOptions { Temperature = 0.5f }));
        Assert.NotEqual(baseline, Client(version: "2").GetCacheKey(Messages()));
        Assert.NotEqual(baseline, Client().GetCacheKey([new(ChatRole.User, "Hi")]));
        Assert.NotEqual(baseline, Client().GetCacheKey(Messages(), streaming: true));
    }

    [Fact]
    public void WhenAdditionalPropertiesAreAddedInAnotherOrderTheKeyIsTheSame()
    {
        var one = new ChatOptions { AdditionalProperties = new() { ["a"] = 1, ["b"] = "x" } };
        var other = new ChatOptions { AdditionalProperties = new() { ["b"] = "x", ["a"] = 1 } };

        Assert.Equal(Client().GetCacheKey(Messages(), one), Client().GetCacheKey(Messages(), other));
        Assert.NotEqual(
            Client().GetCacheKey(Messages(), one),
            Client().GetCacheKey(Messages(), new ChatOptions { AdditionalProperties = new() { ["a"] = 2, ["b"] = "x" } }));
    }

    [Fact]
    public void WhenOnlyTheCacheControlPropertiesDifferTheKeyIsTheSame()
    {
        var plain = Client().GetCacheKey(Messages(), new ChatOptions());
        var withTenant = Client().GetCacheKey(Messages(), new ChatOptions { AdditionalProperties = new() { [AICacheProperties.TenantId] = "t" } });

        Assert.Equal(plain, withTenant);
    }

    [Fact]
    public void WhenAControlIsNamedInAnotherCaseTheKeyIsTheSame()
    {
        var plain = Client().GetCacheKey(Messages());
        ChatOptions[] same =
        [
            new ChatOptions { AdditionalProperties = new() { ["Motadata.Cache.NoCache"] = true } },
            new ChatOptions { AdditionalProperties = new() { ["MOTADATA.CACHE.TTL"] = 30 } },
            new ChatOptions { AdditionalProperties = new() { ["Motadata.Cache.Tenant"] = "t" } },
        ];

        foreach (var options in same)
        {
            Assert.Equal(plain, Client().GetCacheKey(Messages(), options));
        }
    }

    private static ChatOptions TenantAsJson(string json) =>
        new() { AdditionalProperties = new() { [AICacheProperties.TenantId] = JsonDocument.Parse(json).RootElement.Clone() } };

    [Fact]
    public async Task WhenTheTenantIsAJsonStringTwoTenantsIdenticalRequestsNeverShareAnAnswer()
    {
        var model = new FakeChatClient();
        var client = new MotadataCachingChatClient(model, _cache, new ChatCacheOptions());

        var acme = await client.GetResponseAsync(Messages(), TenantAsJson("\"acme\""));
        var globex = await client.GetResponseAsync(Messages(), TenantAsJson("\"globex\""));
        var acmeAgain = await client.GetResponseAsync(Messages(), TenantAsJson("\"acme\""));

        Assert.Equal(2, model.Calls);
        Assert.NotEqual(acme.Text, globex.Text);
        Assert.Equal(acme.Text, acmeAgain.Text);
        Assert.True(_cache.TryGet<object>(client.GetCacheKey(Messages()), out _, "globex"));
        Assert.False(_cache.TryGet<object>(client.GetCacheKey(Messages()), out _));
    }

    [Theory]
    [InlineData("42")]
    [InlineData("true")]
    [InlineData("{\"id\":\"acme\"}")]
    public async Task WhenTheTenantIsAJsonValueThatIsNotAStringTheRequestIsRefusedAndNothingIsCalled(string json)
    {
        var model = new FakeChatClient();
        var client = new MotadataCachingChatClient(model, _cache, new ChatCacheOptions());

        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Messages(), TenantAsJson(json)));

        Assert.Equal(AICacheProperties.TenantId, error.ParamName);
        Assert.Contains("must be a string", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task WhenTheTenantIsANonStringValueTheRequestIsRefused()
    {
        var model = new FakeChatClient();
        var client = new MotadataCachingChatClient(model, _cache, new ChatCacheOptions());
        var options = new ChatOptions { AdditionalProperties = new() { [AICacheProperties.TenantId] = 42 } };

        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Messages(), options));

        Assert.Equal(0, model.Calls);
    }

    /// <summary>A sample value per keyed <see cref="ChatOptions"/> property: setting it must move the request to another key.</summary>
    private static readonly Dictionary<string, Action<ChatOptions>> KeyedSamples = new(StringComparer.Ordinal)
    {
        [nameof(ChatOptions.ModelId)] = o => o.ModelId = "other-model",
        [nameof(ChatOptions.Instructions)] = o => o.Instructions = "Answer as a pirate.",
        [nameof(ChatOptions.Temperature)] = o => o.Temperature = 0.3f,
        [nameof(ChatOptions.MaxOutputTokens)] = o => o.MaxOutputTokens = 10,
        [nameof(ChatOptions.TopP)] = o => o.TopP = 0.9f,
        [nameof(ChatOptions.TopK)] = o => o.TopK = 5,
        [nameof(ChatOptions.FrequencyPenalty)] = o => o.FrequencyPenalty = 0.1f,
        [nameof(ChatOptions.PresencePenalty)] = o => o.PresencePenalty = 0.2f,
        [nameof(ChatOptions.Seed)] = o => o.Seed = 7,
        [nameof(ChatOptions.Reasoning)] = o => o.Reasoning = new ReasoningOptions { Effort = ReasoningEffort.High },
        [nameof(ChatOptions.ResponseFormat)] = o => o.ResponseFormat = ChatResponseFormat.Json,
        [nameof(ChatOptions.StopSequences)] = o => o.StopSequences = ["END"],
        [nameof(ChatOptions.AllowMultipleToolCalls)] = o => o.AllowMultipleToolCalls = false,
        [nameof(ChatOptions.ToolMode)] = o => o.ToolMode = ChatToolMode.RequireAny,
        [nameof(ChatOptions.Tools)] = o => o.Tools = [Weather()],
        [nameof(ChatOptions.AllowBackgroundResponses)] = o => o.AllowBackgroundResponses = true,
        [nameof(ChatOptions.AdditionalProperties)] = o => o.AdditionalProperties = new() { ["service_tier"] = "flex" },
        [nameof(ChatOptions.ConversationId)] = o => o.ConversationId = "conversation-1",
        [nameof(ChatOptions.RawRepresentationFactory)] = o => o.RawRepresentationFactory = _ => null,
    };

    private static AIFunction Weather(string description = "The weather in a city.") =>
        AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather", description);

    private static AIFunction Refund() =>
        AIFunctionFactory.Create((string order) => $"refunded {order}", "issue_refund", "Refunds an order.");

    [Fact]
    public void EveryPublicSettablePropertyOfChatOptionsIsClassifiedForTheKey()
    {
        var settable = typeof(ChatOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true })
            .Select(p => p.Name)
            .ToHashSet(StringComparer.Ordinal);

        var unclassified = settable.Where(name => !CanonicalRequest.OptionsClassification.ContainsKey(name)).ToList();
        var gone = CanonicalRequest.OptionsClassification.Keys.Where(name => !settable.Contains(name)).ToList();

        Assert.True(unclassified.Count == 0, $"ChatOptions properties not classified for the cache key (add each to CanonicalRequest.OptionsClassification and write it, or say why not): {string.Join(", ", unclassified)}");
        Assert.True(gone.Count == 0, $"Classified properties ChatOptions no longer has: {string.Join(", ", gone)}");
    }

    [Fact]
    public void EveryKeyedChatOptionsPropertyMovesTheRequestToAnotherKey()
    {
        var keyed = CanonicalRequest.OptionsClassification.Where(p => p.Value == CanonicalRequest.Keyed).Select(p => p.Key).Order(StringComparer.Ordinal);
        Assert.Equal(keyed, KeyedSamples.Keys.Order(StringComparer.Ordinal));
        var baseline = Client().GetCacheKey(Messages());
        var keys = new HashSet<string>(StringComparer.Ordinal) { baseline };

        foreach (var (name, set) in KeyedSamples)
        {
            var options = new ChatOptions();
            set(options);
            Assert.True(keys.Add(Client().GetCacheKey(Messages(), options)), $"Setting ChatOptions.{name} left the key unchanged (or equal to another property's).");
        }
    }

    [Fact]
    public void WhenTheOptionsAreNullEmptyOrHoldOnlyCacheControlsTheKeyIsTheSame()
    {
        var plain = Client().GetCacheKey(Messages());
        ChatOptions[] same =
        [
            new ChatOptions(),
            new ChatOptions { AdditionalProperties = [] },
            new ChatOptions { Tools = [], StopSequences = [] },
            new ChatOptions { AdditionalProperties = new() { [AICacheProperties.NoCache] = true } },
            new ChatOptions { AdditionalProperties = new() { [AICacheProperties.NoStore] = true } },
            new ChatOptions { AdditionalProperties = new() { [AICacheProperties.Ttl] = 30 } },
            new ChatOptions { AdditionalProperties = new() { [AICacheProperties.MaxAge] = TimeSpan.FromMinutes(5) } },
            new ChatOptions { AdditionalProperties = new() { [AICacheProperties.TenantId] = "t", [AICacheProperties.NoCache] = "true", [AICacheProperties.Ttl] = 60.5 } },
        ];

        foreach (var options in same)
        {
            Assert.Equal(plain, Client().GetCacheKey(Messages(), options));
        }
    }

    [Fact]
    public void WhenFilledOptionsAlsoCarryCacheControlsTheKeyIsTheSame()
    {
        static ChatOptions Filled() => new() { Temperature = 0.2f, Tools = [Weather()], AdditionalProperties = new() { ["user"] = "u1" } };
        var plain = Client().GetCacheKey(Messages(), Filled());
        var withControls = Filled();
        withControls.AdditionalProperties![AICacheProperties.NoCache] = true;
        withControls.AdditionalProperties[AICacheProperties.Ttl] = TimeSpan.FromMinutes(1);
        withControls.AdditionalProperties[AICacheProperties.MaxAge] = 0;
        withControls.AdditionalProperties[AICacheProperties.TenantId] = "t";

        Assert.Equal(plain, Client().GetCacheKey(Messages(), withControls));
    }

    [Fact]
    public void WhenTheToolsDifferInNameDescriptionSchemaOrKindTheKeyDiffers()
    {
        var declaration = AIFunctionFactory.CreateDeclaration(
            "get_weather", "The weather in a city.", JsonDocument.Parse("""{"type":"object","properties":{"town":{"type":"string"}}}""").RootElement);
        ChatOptions[] options =
        [
            new() { Tools = [Weather()] },
            new() { Tools = [Refund()] },
            new() { Tools = [Weather(), Refund()] },
            new() { Tools = [Weather("The weather and the forecast in a city.")] },
            new() { Tools = [declaration] },
            new() { Tools = [new HostedWebSearchTool()] },
            new() { Tools = [new HostedCodeInterpreterTool()] },
            new() { Tools = [new HostedMcpServerTool("docs", "https://docs.example/mcp") { AllowedTools = ["search"] }] },
            new() { Tools = [new HostedMcpServerTool("docs", "https://docs.example/mcp") { AllowedTools = ["search", "delete"] }] },
            new() { Tools = [Weather()], ToolMode = ChatToolMode.RequireSpecific("get_weather") },
            new() { Tools = [Weather()], ToolMode = ChatToolMode.None },
        ];

        var keys = options.Select(o => Client().GetCacheKey(Messages(), o)).ToList();

        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.DoesNotContain(Client().GetCacheKey(Messages()), keys);
    }

    [Fact]
    public void WhenTheSameToolsAreBuiltAgainTheKeyIsTheSame()
    {
        // A replica, or a restarted process, builds its tools anew: equal tools must give the same key.
        var key = Client().GetCacheKey(Messages(), new ChatOptions { Tools = [Weather(), new HostedWebSearchTool()], ToolMode = ChatToolMode.Auto });
        var again = Client().GetCacheKey(Messages(), new ChatOptions { Tools = [Weather(), new HostedWebSearchTool()], ToolMode = ChatToolMode.Auto });

        Assert.Equal(key, again);
    }

    [Fact]
    public void WhenTheResponseFormatsSchemaDiffersTheKeyDiffers()
    {
        var person = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"}}}""").RootElement, "person");
        var order = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse("""{"type":"object","properties":{"id":{"type":"integer"}}}""").RootElement, "order");

        var keys = new ChatResponseFormat[] { ChatResponseFormat.Text, ChatResponseFormat.Json, person, order }
            .Select(f => Client().GetCacheKey(Messages(), new ChatOptions { ResponseFormat = f }))
            .ToList();

        Assert.Equal(4, keys.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task WhenTwoRequestsDifferOnlyInTheirToolsTheyNeverShareAnAnswer()
    {
        var model = new FakeChatClient();
        var client = new MotadataCachingChatClient(model, _cache, new ChatCacheOptions { TenantId = "acme" });

        var weather = await client.GetResponseAsync(Messages(), new ChatOptions { Tools = [Weather()] });
        var refund = await client.GetResponseAsync(Messages(), new ChatOptions { Tools = [Refund()] });
        var weatherAgain = await client.GetResponseAsync(Messages(), new ChatOptions { Tools = [Weather()] });

        Assert.Equal(2, model.Calls);
        Assert.NotEqual(weather.Text, refund.Text);
        Assert.Equal(weather.Text, weatherAgain.Text);
    }

    /// <summary>A value the serializer cannot write (System.Type has no contract); its ToString() is the same for every instance.</summary>
    private sealed class Unserializable(int id)
    {
        public int Id { get; } = id;

        public Type Kind { get; } = typeof(string);
    }

    /// <summary>A value that refers to itself: the serializer stops with a JsonException.</summary>
    private sealed class Cyclic
    {
        public Cyclic? Next { get; set; }
    }

    [Fact]
    public async Task WhenAnAdditionalPropertyCannotBeSerializedTheRequestIsNeitherReadNorStored()
    {
        var model = new FakeChatClient();
        var stats = new AICacheCounters();
        var client = new MotadataCachingChatClient(model, _cache, new ChatCacheOptions { TenantId = "acme", Statistics = stats });
        static ChatOptions With(object value) => new() { AdditionalProperties = new() { ["custom"] = value } };
        var cyclic = new Cyclic();
        cyclic.Next = cyclic;

        var one = await client.GetResponseAsync(Messages(), With(new Unserializable(1)));
        var two = await client.GetResponseAsync(Messages(), With(new Unserializable(2)));
        var oneAgain = await client.GetResponseAsync(Messages(), With(new Unserializable(1)));
        var loop = await client.GetResponseAsync(Messages(), With(cyclic));
        var streamed = await client.GetStreamingResponseAsync(Messages(), With(cyclic)).ToListAsync();
        var error = Assert.Throws<ArgumentException>(() => client.GetCacheKey(Messages(), With(new Unserializable(1))));

        Assert.Equal(5, model.Calls);
        Assert.Equal(5, new[] { one.Text, two.Text, oneAgain.Text, loop.Text, string.Concat(streamed.Select(u => u.Text)) }.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(5L, stats.GetStats("acme").Bypassed);
        Assert.Equal(0, _cache.Clear("acme"));
        Assert.Contains("cannot be serialized", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenARequestPollsABackgroundResponseItIsNeitherReadNorStored()
    {
        var model = new FakeChatClient();
        var client = new MotadataCachingChatClient(model, _cache, new ChatCacheOptions { TenantId = "acme" });
        var poll = new ChatOptions { ContinuationToken = ResponseContinuationToken.FromBytes(new byte[] { 1, 2, 3 }) };

        await client.GetResponseAsync(Messages(), poll);
        await client.GetResponseAsync(Messages(), poll);

        Assert.Equal(2, model.Calls);
        Assert.False(_cache.TryGet<object>(client.GetCacheKey(Messages()), out _, "acme"));
    }
}
