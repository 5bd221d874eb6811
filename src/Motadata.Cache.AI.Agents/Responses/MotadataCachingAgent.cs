using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Motadata.Cache.AI.Internal;

namespace Motadata.Cache.AI.Agents;

/// <summary>
/// Agent middleware that answers a repeated one-shot run from a <see cref="CacheMechanism"/>: the whole run, model
/// calls and tool calls included, is skipped on a hit. Plug it in with
/// <c>new AIAgentBuilder(agent).Use(inner =&gt; new MotadataCachingAgent(inner, cache, options))</c>.
/// </summary>
/// <remarks>
/// <para>Only runs without a session are cached: in a conversation the answer depends on the history the agent loads,
/// which this layer does not see. For conversations, cache below the agent, at the chat client
/// (<c>UseMotadataCache</c>), where the full prompt, history included, is the key.</para>
/// <para>A hit skips the agent's tools. Do not put this in front of an agent whose tools have side effects (send a
/// message, create a ticket, pay) or read the world (time, stock, balances): its answer is not a function of the
/// prompt. A run opts out with <c>AgentRunOptions.AdditionalProperties</c>: <see cref="AICacheProperties.NoCache"/>
/// (run it, store the new answer), <see cref="AICacheProperties.NoStore"/>, or both; <see cref="AICacheProperties.Ttl"/>,
/// <see cref="AICacheProperties.MaxAge"/>, <see cref="AICacheProperties.Namespace"/> and
/// <see cref="AICacheProperties.TenantId"/> work as for the chat client. Streaming runs pass through uncached.</para>
/// </remarks>
public sealed class MotadataCachingAgent : DelegatingAIAgent
{
    private const string Kind = "agent";

    private readonly CacheMechanism _cache;
    private readonly AgentResponseCacheOptions _options;
    private readonly JsonSerializerOptions _json;
    private readonly AnswerStore _answers;

    /// <summary>Wraps <paramref name="innerAgent"/> with a cache.</summary>
    /// <param name="innerAgent">The agent whose runs are cached.</param>
    /// <param name="cache">Where answers are kept; owned by the caller.</param>
    /// <param name="options">How; null for the defaults.</param>
    public MotadataCachingAgent(AIAgent innerAgent, CacheMechanism cache, AgentResponseCacheOptions? options = null)
        : base(innerAgent)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        _options = options ?? new AgentResponseCacheOptions();
        ArgumentNullException.ThrowIfNull(_options.Version, "options.Version");
        ArgumentNullException.ThrowIfNull(_options.KeyPrefix, "options.KeyPrefix");
        ArgumentNullException.ThrowIfNull(_options.Statistics, "options.Statistics");
        _json = _options.JsonSerializerOptions ?? AgentAbstractionsJsonUtilities.DefaultOptions;
        _answers = new AnswerStore(cache, _json);
    }

    /// <summary>What this agent's cache saved, per tenant.</summary>
    public AICacheCounters Statistics => _options.Statistics;

    /// <summary>The key a one-shot run with <paramref name="messages"/> is cached under (inside its tenant's namespace).</summary>
    /// <param name="messages">The run's messages.</param>
    /// <param name="options">The run's options.</param>
    /// <returns>The key.</returns>
    public string GetCacheKey(IEnumerable<ChatMessage> messages, AgentRunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var controls = CacheControls.Read(options?.AdditionalProperties, nameof(AgentRunOptions));
        return KeyOf(messages, options, controls.Namespace);
    }

    /// <inheritdoc />
    protected override async Task<AgentResponse> RunCoreAsync(IEnumerable<ChatMessage> messages, AgentSession? session = null, AgentRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var controls = CacheControls.Read(options?.AdditionalProperties, nameof(AgentRunOptions));
        var tenantId = RequestHasher.TenantFrom(options?.AdditionalProperties) ?? _options.TenantId;
        if (session is not null || (controls.NoCache && controls.NoStore))
        {
            _options.Statistics.RecordBypass(tenantId);
            return await base.RunCoreAsync(messages, session, options, cancellationToken).ConfigureAwait(false);
        }

        var list = messages as IReadOnlyCollection<ChatMessage> ?? [.. messages];
        var key = KeyOf(list, options, controls.Namespace);
        if (!controls.NoCache)
        {
            var cached = await _answers.ReadAsync<AgentResponse>(key, tenantId, controls.MaxAge, cancellationToken).ConfigureAwait(false);
            if (cached is not null)
            {
                _options.Statistics.RecordHit(Kind, tenantId, 1, callAvoided: true, cached.Usage?.TotalTokenCount ?? 0);
                return cached;
            }

            _options.Statistics.RecordMiss(Kind, tenantId, 1);
        }
        else
        {
            _options.Statistics.RecordBypass(tenantId);
        }

        var response = await base.RunCoreAsync(list, session, options, cancellationToken).ConfigureAwait(false);
        if (!controls.NoStore)
        {
            await _answers.WriteAsync(key, tenantId, response, controls.Ttl ?? _options.Ttl, cancellationToken).ConfigureAwait(false);
        }

        return response;
    }

    private string KeyOf(IEnumerable<ChatMessage> messages, AgentRunOptions? options, string? requestNamespace)
    {
        var prefix = requestNamespace is null ? _options.KeyPrefix : string.Concat(_options.KeyPrefix, requestNamespace, ":");
        var state = (Agent: this, Messages: messages, Options: options);
        return RequestHasher.Hash(prefix, state, static (writer, state) =>
        {
            var json = state.Agent._json;
            writer.WriteStartObject();
            writer.WriteString("version", state.Agent._options.Version);
            writer.WriteString("agent", state.Agent.Id);
            writer.WriteString("name", state.Agent.Name);
            writer.WritePropertyName("messages");
            writer.WriteStartArray();
            var messageInfo = json.GetTypeInfo(typeof(ChatMessage));
            foreach (var message in state.Messages)
            {
                JsonSerializer.Serialize(writer, message, messageInfo);
            }

            writer.WriteEndArray();
            if (state.Options?.ResponseFormat is { } format)
            {
                writer.WritePropertyName("format");
                JsonSerializer.Serialize(writer, format, json.GetTypeInfo(typeof(ChatResponseFormat)));
            }

            if (RequestHasher.Canonical(state.Options?.AdditionalProperties) is { } properties)
            {
                writer.WritePropertyName("properties");
                JsonSerializer.Serialize(writer, properties, json.GetTypeInfo(typeof(AdditionalPropertiesDictionary)));
            }

            writer.WriteEndObject();
        });
    }
}
