using System.Reflection;
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
/// <para>The key is what the agent is, not its instance id: for an agent built on a chat client (<c>ChatClientAgent</c>)
/// its name, its default chat options (instructions, tools with their schemas, model, every option that reaches the
/// model) and the chat client's provider and default model; then <see cref="AgentResponseCacheOptions.Version"/>, the
/// messages and the run's options (response format, a <c>ChatClientAgentRunOptions</c>' chat options, additional
/// properties without the cache controls). Replicas of one agent, and the agent after a restart, share answers; a change
/// of instructions or tools does not. An agent with context providers (<c>ChatClientAgentOptions.AIContextProviders</c>,
/// or <c>UseAIContextProviders</c> below this layer), which add messages, instructions or tools per run from per-user
/// data, passes through uncached. What the key cannot see: the tools' code, and the state a
/// <c>RawRepresentationFactory</c> captures: bump
/// <see cref="AgentResponseCacheOptions.Version"/> when those change. An agent not built on a chat client shows nothing
/// of its configuration and is keyed by its <see cref="AIAgent.Id"/>. A run whose options the key cannot see
/// (a continuation token, or <c>ChatClientAgentRunOptions.ChatClientFactory</c>) passes through uncached.</para>
/// <para>A fixed <see cref="AgentResponseCacheOptions.TenantId"/> wins: a run naming another tenant in
/// <see cref="AICacheProperties.TenantId"/> is refused with an <see cref="ArgumentException"/>.</para>
/// </remarks>
public sealed class MotadataCachingAgent : DelegatingAIAgent
{
    private const string Kind = "agent";

    private readonly CacheMechanism _cache;
    private readonly AgentResponseCacheOptions _options;
    private readonly JsonSerializerOptions _json;
    private readonly AnswerStore _answers;
    private bool? _hasContextProviders;

    /// <summary>Wraps <paramref name="innerAgent"/> with a cache.</summary>
    /// <param name="innerAgent">The agent whose runs are cached.</param>
    /// <param name="cache">Where answers are kept; owned by the caller.</param>
    /// <param name="options">How; null for the defaults.</param>
    public MotadataCachingAgent(AIAgent innerAgent, CacheMechanism cache, AgentResponseCacheOptions? options = null)
        : base(innerAgent)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        _options = KeyedCacheOptions.Checked(options ?? new AgentResponseCacheOptions());
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
        var key = KeyOf(messages, options, controls.Namespace);
        if (key is null)
        {
            RequestHasher.ThrowUnkeyable("messages, options or agent configuration");
        }

        return key;
    }

    /// <inheritdoc />
    protected override async Task<AgentResponse> RunCoreAsync(IEnumerable<ChatMessage> messages, AgentSession? session = null, AgentRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var controls = CacheControls.Read(options?.AdditionalProperties, nameof(AgentRunOptions));
        var tenantId = TenantOf(options);
        if (session is not null || (controls.NoCache && controls.NoStore) || !Keyable(options) || HasContextProviders)
        {
            _options.Statistics.RecordBypass(tenantId);
            return await base.RunCoreAsync(messages, session, options, cancellationToken).ConfigureAwait(false);
        }

        var list = messages as IReadOnlyCollection<ChatMessage> ?? [.. messages];
        var key = KeyOf(list, options, controls.Namespace);
        if (key is null)
        {
            // A value the key cannot hold faithfully: neither read nor stored.
            _options.Statistics.RecordBypass(tenantId);
            return await base.RunCoreAsync(list, session, options, cancellationToken).ConfigureAwait(false);
        }

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
#pragma warning disable MEAI001 // Background runs are experimental; a response still running must not be replayed.
        if (!controls.NoStore && response.ContinuationToken is null)
#pragma warning restore MEAI001
        {
            await _answers.WriteAsync(key, tenantId, response, controls.Ttl ?? _options.Ttl, cancellationToken).ConfigureAwait(false);
        }

        return response;
    }

    /// <summary>
    /// True when the inner agent runs context providers (<c>ChatClientAgentOptions.AIContextProviders</c>, or
    /// <c>AIAgentBuilder.UseAIContextProviders</c> below this layer): they add messages, instructions or tools per run,
    /// from per-user data (memories, profiles, retrieved documents), which the key cannot see, so such an agent's runs
    /// pass through. Read once: an agent's providers are fixed when it is built.
    /// </summary>
    private bool HasContextProviders => _hasContextProviders ??= FindContextProviders(InnerAgent);

    /// <summary>
    /// Walks the agents below this one (and the chat clients below a chat-client agent) for context providers. This
    /// package builds on the agent abstractions only, so it reads <c>ChatClientAgent.AIContextProviders</c> and recognises
    /// <c>MessageAIContextProviderAgent</c> and <c>AIContextProviderChatClient</c> by reflection, as
    /// <see cref="RunOptionsProperties"/> does.
    /// </summary>
    private static bool FindContextProviders(AIAgent agent)
    {
        for (var current = agent; current is not null; current = InnerOf(current))
        {
            var type = current.GetType();
            if (type.FullName == "Microsoft.Agents.AI.MessageAIContextProviderAgent")
            {
                return true;
            }

            if (type.GetProperty("AIContextProviders", BindingFlags.Public | BindingFlags.Instance) is { } property
                && typeof(IEnumerable<AIContextProvider>).IsAssignableFrom(property.PropertyType)
                && property.GetValue(current) is IEnumerable<AIContextProvider> providers
                && providers.Any())
            {
                return true;
            }
        }

        for (var client = agent.GetService<IChatClient>(); client is not null; client = client is DelegatingChatClient ? InnerOf(client, typeof(DelegatingChatClient), "InnerClient") as IChatClient : null)
        {
            if (client.GetType().FullName == "Microsoft.Agents.AI.AIContextProviderChatClient")
            {
                return true;
            }
        }

        return false;
    }

    private static AIAgent? InnerOf(AIAgent agent) =>
        agent is DelegatingAIAgent ? InnerOf(agent, typeof(DelegatingAIAgent), "InnerAgent") as AIAgent : null;

    /// <summary>The inner agent or client of a delegating one (a protected property of its base type).</summary>
    private static object? InnerOf(object outer, Type delegating, string property) =>
        delegating.GetProperty(property, BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance)?.GetValue(outer);

    /// <summary>
    /// The tenant of a run: the fixed <see cref="AgentResponseCacheOptions.TenantId"/>, which a run property cannot
    /// override (refused), else the one the run names, else the global namespace.
    /// </summary>
    private string? TenantOf(AgentRunOptions? options) =>
        RequestHasher.ResolveTenant(_options.TenantId, selected: false, options?.AdditionalProperties, nameof(AgentRunOptions));

    /// <summary>
    /// False when the run's options carry something the key cannot see: a continuation token (a poll of a background
    /// run), chat options naming a conversation kept by the service, or a property of an <see cref="AgentRunOptions"/>
    /// subclass other than its <see cref="ChatOptions"/> (such as <c>ChatClientAgentRunOptions.ChatClientFactory</c>, a
    /// delegate that swaps the model).
    /// </summary>
    private static bool Keyable(AgentRunOptions? options)
    {
        if (options is null)
        {
            return true;
        }

#pragma warning disable MEAI001 // Background runs are experimental; a poll names one run and is never cached.
        if (options.ContinuationToken is not null)
        {
            return false;
        }
#pragma warning restore MEAI001

        foreach (var property in RunOptionsProperties.Of(options.GetType()))
        {
            var value = property.GetValue(options);
            if (property.PropertyType == typeof(ChatOptions)
                ? value is ChatOptions { ConversationId: not null } or ChatOptions { ContinuationToken: not null }
                : value is not null)
            {
                // A conversation kept by the service, or a poll of a background response, as for the chat client.
                return false;
            }
        }

        return true;
    }

    /// <summary>The run's key; null when it holds a value that cannot be serialized (it then bypasses the cache).</summary>
    private string? KeyOf(IEnumerable<ChatMessage> messages, AgentRunOptions? options, string? requestNamespace)
    {
        var prefix = requestNamespace is null ? _options.KeyPrefix : string.Concat(_options.KeyPrefix, requestNamespace, ":");
        var state = (Agent: this, Messages: messages, Options: options);
        return RequestHasher.TryHash(prefix, state, static (writer, state) =>
        {
            var json = state.Agent._json;
            writer.WriteStartObject();
            writer.WriteString("version", state.Agent._options.Version);
            state.Agent.WriteIdentity(writer);
            CanonicalRequest.WriteMessages(writer, state.Messages, json);
            if (state.Options is { } run)
            {
                // Flat, each only when set: null run options, new AgentRunOptions() and options holding only cache
                // controls write the same (nothing), as for the chat client.
                CanonicalRequest.WriteResponseFormat(writer, run.ResponseFormat);
                if (run.AllowBackgroundResponses is { } background)
                {
                    writer.WriteBoolean("allowBackgroundResponses", background);
                }

                foreach (var property in RunOptionsProperties.Of(run.GetType()))
                {
                    if (property.PropertyType == typeof(ChatOptions) && property.GetValue(run) is ChatOptions chat)
                    {
                        // A ChatClientAgentRunOptions' ChatOptions, which the agent merges into its own for this run.
                        if (chat.ModelId is { } model)
                        {
                            writer.WriteString("runModel", model);
                        }

                        CanonicalRequest.WriteOptions(writer, chat, json);
                    }
                }

                CanonicalRequest.WriteProperties(writer, "runProperties", run.AdditionalProperties, json);
            }

            writer.WriteEndObject();
        });
    }

    /// <summary>
    /// Writes what the agent is, as far as it changes an answer. An agent built on a chat client (it exposes an
    /// <see cref="IChatClient"/>, as <c>ChatClientAgent</c> does): its name, its default <see cref="ChatOptions"/>
    /// (instructions, tools with their schemas, model, every option that reaches the model) and the chat client's
    /// provider and default model, so replicas and restarted processes share answers and a change of instructions or
    /// tools does not. Any other agent shows nothing of its configuration: its <see cref="AIAgent.Id"/> and name key it,
    /// so give it a stable id to share answers between instances.
    /// </summary>
    private void WriteIdentity(Utf8JsonWriter writer)
    {
        writer.WritePropertyName("agent");
        writer.WriteStartObject();
        writer.WriteString("name", Name);
        if (InnerAgent.GetService<IChatClient>() is null)
        {
            writer.WriteString("id", Id);
        }
        else
        {
            var chat = InnerAgent.GetService<ChatOptions>();
            var metadata = InnerAgent.GetService<ChatClientMetadata>();
            writer.WriteString("provider", metadata?.ProviderName);
            writer.WriteString("model", chat?.ModelId ?? metadata?.DefaultModelId);
            CanonicalRequest.WriteOptions(writer, chat, _json);
        }

        writer.WriteEndObject();
    }
}
