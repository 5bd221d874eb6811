using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Motadata.Cache.AI.Internal;

namespace Motadata.Cache.AI;

/// <summary>
/// An <see cref="IChatClient"/> that answers repeated requests from a <see cref="CacheMechanism"/>, per tenant.
/// A request's key is the SHA-256 of the canonical JSON of its messages, model id, every option that reaches the model
/// (instructions, tools with their schemas, tool mode, response format, sampling settings, additional properties) and
/// <see cref="ChatCacheOptions.Version"/>; the cache controls of <see cref="AICacheProperties"/> are not part of it.
/// Streaming responses are cached as their updates and replayed in order.
/// </summary>
/// <remarks>
/// A request steers the cache with the per-request controls of <see cref="AICacheProperties"/> (no-cache, no-store,
/// TTL, s-maxage, namespace). A request that carries a <c>ConversationId</c> is not cached (the model keeps that
/// conversation's state, so the same messages need not mean the same answer), nor one that carries a
/// <c>ContinuationToken</c>, and a response that carries one (a background run still going) is not stored. On the memory backend a cached <see cref="ChatResponse"/> is shared by reference, like every memory value:
/// treat responses as read-only. On a remote backend responses are stored as JSON.
/// </remarks>
public sealed class MotadataCachingChatClient : DelegatingChatClient
{
    private const string Kind = "chat";

    private readonly CacheMechanism _cache;
    private readonly ChatCacheOptions _options;
    private readonly JsonSerializerOptions _json;
    private readonly AnswerStore _answers;
    private readonly SemanticLayer? _semantic;
    private readonly Lazy<string?> _defaultModelId;

    /// <summary>Wraps <paramref name="innerClient"/> with a cache.</summary>
    /// <param name="innerClient">The client that talks to the model.</param>
    /// <param name="cache">Where responses are kept; owned by the caller.</param>
    /// <param name="options">How to cache; null for the defaults.</param>
    public MotadataCachingChatClient(IChatClient innerClient, CacheMechanism cache, ChatCacheOptions? options = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        _defaultModelId = KeyedCacheOptions.DefaultModelId(() => InnerClient.GetService<ChatClientMetadata>()?.DefaultModelId);
        _options = KeyedCacheOptions.Checked(options ?? new ChatCacheOptions());
        _json = _options.JsonSerializerOptions ?? AIJsonUtilities.DefaultOptions;
        _answers = new AnswerStore(cache, _json);
        _semantic = _options.Semantic is { } semantic ? new SemanticLayer(cache, semantic) : null;
    }

    /// <summary>The semantic layer, when <see cref="ChatCacheOptions.Semantic"/> is set (for tests and benchmarks).</summary>
    internal SemanticLayer? Semantic => _semantic;

    /// <summary>What this client saved, per tenant.</summary>
    public AICacheCounters Statistics => _options.Statistics;

    /// <summary>The key a request is cached under (inside its tenant's namespace).</summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options; its <see cref="AICacheProperties.Namespace"/> goes into the key's prefix.</param>
    /// <param name="streaming">True for a streaming request, cached apart from a non-streaming one.</param>
    /// <returns>The key: <see cref="ChatCacheOptions.KeyPrefix"/>, the request's namespace and a colon if it has one, and 64 hex characters.</returns>
    /// <exception cref="ArgumentException">
    /// A cache control in <c>options.AdditionalProperties</c> has the wrong type or value, or the request holds a value
    /// that cannot be serialized (such a request is not cached).
    /// </exception>
    public string GetCacheKey(IEnumerable<ChatMessage> messages, ChatOptions? options = null, bool streaming = false)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var controls = CacheControls.Read(options?.AdditionalProperties, nameof(ChatOptions));
        var key = KeyOf(messages, options, streaming, controls.Namespace);
        if (key is null)
        {
            RequestHasher.ThrowUnkeyable("messages or options");
        }

        return key;
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var controls = CacheControls.Read(options?.AdditionalProperties, nameof(ChatOptions));
        var tenantId = TenantOf(messages, options);
        if (!Cacheable(options, controls))
        {
            _options.Statistics.RecordBypass(tenantId);
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }

        var key = KeyOf(messages, options, streaming: false, controls.Namespace);
        if (key is null)
        {
            // A value the key cannot hold faithfully: neither read nor stored.
            _options.Statistics.RecordBypass(tenantId);
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }

        if (!controls.NoCache)
        {
            var cached = await _answers.ReadAsync<ChatResponse>(key, tenantId, controls.MaxAge, cancellationToken).ConfigureAwait(false);
            if (cached is not null)
            {
                _options.Statistics.RecordHit(Kind, tenantId, 1, callAvoided: true, cached.Usage?.TotalTokenCount ?? 0);
                return cached;
            }
        }

        // Kept out of this method so a hit's state machine carries none of the semantic layer's locals.
        return await AnswerMissAsync(messages, options, controls, tenantId, key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An exact-key miss (or a no-cache request): the semantic layer if on, else the model; then store.</summary>
    private async Task<ChatResponse> AnswerMissAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CacheControls controls, string? tenantId, string key, CancellationToken cancellationToken)
    {
        SemanticRequest semantic = default;
        if (!controls.NoCache)
        {
            if (_semantic is not null)
            {
                semantic = await SemanticRequestOfAsync(messages, options, controls.Namespace, cancellationToken).ConfigureAwait(false);
                var similar = await SemanticLookupAsync(semantic, tenantId, controls.MaxAge, cancellationToken).ConfigureAwait(false);
                if (similar is not null)
                {
                    _options.Statistics.RecordSemanticHit(Kind, tenantId, similar.Usage?.TotalTokenCount ?? 0);
                    return similar;
                }
            }

            _options.Statistics.RecordMiss(Kind, tenantId, 1);
        }
        else
        {
            _options.Statistics.RecordBypass(tenantId);
        }

        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        if (!controls.NoStore && response.ContinuationToken is null)
        {
            var ttl = controls.Ttl ?? _options.Ttl;
            await _answers.WriteAsync(key, tenantId, response, ttl, cancellationToken).ConfigureAwait(false);
            if (_semantic is not null)
            {
                if (semantic.Prompt is null)
                {
                    // no-cache skipped the lookup; the answer still becomes findable by similar prompts.
                    semantic = await SemanticRequestOfAsync(messages, options, controls.Namespace, cancellationToken).ConfigureAwait(false);
                }

                if (semantic.Vector is not null)
                {
                    await _semantic.AddAsync(tenantId, semantic.Scope!, semantic.Prompt!, semantic.Vector, key, ttl, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var controls = CacheControls.Read(options?.AdditionalProperties, nameof(ChatOptions));
        var tenantId = TenantOf(messages, options);
        if (!Cacheable(options, controls))
        {
            _options.Statistics.RecordBypass(tenantId);
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }

            yield break;
        }

        var key = KeyOf(messages, options, streaming: true, controls.Namespace);
        if (key is null)
        {
            // A value the key cannot hold faithfully: neither read nor stored.
            _options.Statistics.RecordBypass(tenantId);
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }

            yield break;
        }

        if (!controls.NoCache)
        {
            var cached = await _answers.ReadAsync<ChatResponseUpdate[]>(key, tenantId, controls.MaxAge, cancellationToken).ConfigureAwait(false);
            if (cached is not null)
            {
                _options.Statistics.RecordHit(Kind, tenantId, 1, callAvoided: true, TokensOf(cached));
                foreach (var update in cached)
                {
                    yield return update;
                }

                yield break;
            }

            _options.Statistics.RecordMiss(Kind, tenantId, 1);
        }
        else
        {
            _options.Statistics.RecordBypass(tenantId);
        }

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(update);
            yield return update;
        }

        // Only a stream read to its end is stored: one abandoned half-way would replay as a truncated answer.
        if (!controls.NoStore)
        {
            await _answers.WriteAsync(key, tenantId, updates.ToArray(), controls.Ttl ?? _options.Ttl, cancellationToken).ConfigureAwait(false);
        }
    }

    private static long TokensOf(ChatResponseUpdate[] updates)
    {
        long tokens = 0;
        foreach (var update in updates)
        {
            foreach (var content in update.Contents)
            {
                if (content is UsageContent usage)
                {
                    tokens += usage.Details.TotalTokenCount ?? 0;
                }
            }
        }

        return tokens;
    }

    /// <summary>
    /// False when the cache has nothing to do: a conversation kept by the service (the same messages need not mean the
    /// same answer), a poll of a background response (its continuation token names one run), or a request that neither
    /// reads (no-cache) nor writes (no-store).
    /// </summary>
    private static bool Cacheable(ChatOptions? options, CacheControls controls) =>
        options?.ConversationId is null && options?.ContinuationToken is null && !(controls.NoCache && controls.NoStore);

    /// <summary>The request's key; null when it holds a value that cannot be serialized (see <see cref="RequestHasher.TryHash"/>).</summary>
    private string? KeyOf(IEnumerable<ChatMessage> messages, ChatOptions? options, bool streaming, string? requestNamespace)
    {
        var prefix = requestNamespace is null ? _options.KeyPrefix : string.Concat(_options.KeyPrefix, requestNamespace, ":");
        return RequestHasher.TryHash(prefix, new Request(this, messages, options, streaming), static (writer, request) => request.Write(writer));
    }

    /// <summary>
    /// What the semantic layer needs of a request: the last message's text when it is a user's (the prompt), its
    /// embedding, and the scope (hash of everything else that shapes the answer). No prompt when the request does not
    /// end with a user's text.
    /// </summary>
    private async ValueTask<SemanticRequest> SemanticRequestOfAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, string? requestNamespace, CancellationToken cancellationToken)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        if (list.Count == 0 || list[^1] is not { } last || last.Role != ChatRole.User || string.IsNullOrWhiteSpace(last.Text))
        {
            return default;
        }

        for (var i = 0; i < last.Contents.Count; i++)
        {
            if (last.Contents[i] is not TextContent)
            {
                // Images, files, tool results: the text alone does not say what is asked.
                return default;
            }
        }

        var earlier = new ChatMessage[list.Count - 1];
        for (var i = 0; i < earlier.Length; i++)
        {
            earlier[i] = list[i];
        }

        var scope = KeyOf(earlier, options, streaming: false, requestNamespace);
        if (scope is null)
        {
            return default;
        }

        float[]? vector;
        try
        {
            vector = await _semantic!.EmbedAsync(last.Text, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The embedding service failing must not fail the request: the model still answers.
            vector = null;
        }

        return new SemanticRequest(last.Text, scope, vector);
    }

    private async ValueTask<ChatResponse?> SemanticLookupAsync(SemanticRequest request, string? tenantId, TimeSpan? maxAge, CancellationToken cancellationToken)
    {
        if (request.Vector is null)
        {
            return null;
        }

        List<SemanticEntry>? matches;
        try
        {
            matches = await _semantic!.FindAsync(tenantId, request.Scope!, request.Prompt!, request.Vector, maxAge, cancellationToken).ConfigureAwait(false);
        }
        catch (CacheBackendException)
        {
            return null;
        }

        if (matches is null)
        {
            return null;
        }

        foreach (var match in matches)
        {
            var answer = await _answers.ReadAsync<ChatResponse>(match.AnswerKey, tenantId, maxAge, cancellationToken).ConfigureAwait(false);
            if (answer is not null)
            {
                return answer;
            }

            // Its answer was invalidated, cleared or expired: the prompt no longer leads anywhere.
            _semantic!.Forget(tenantId, match);
        }

        return null;
    }

    /// <summary>The selector's tenant, else the fixed one, else the one the request names; a fixed tenant is never overridden.</summary>
    private string? TenantOf(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var selector = _options.TenantSelector;
        return RequestHasher.ResolveTenant(
            selector is null ? _options.TenantId : selector(messages, options), selector is not null, options?.AdditionalProperties, nameof(ChatOptions));
    }

    private string? DefaultModelId => _defaultModelId.Value;

    /// <summary>A request as the semantic layer sees it; all null when it has no prompt to compare.</summary>
    private readonly record struct SemanticRequest(string? Prompt, string? Scope, float[]? Vector);

    /// <summary>What a key is computed from, passed to the hasher without a closure.</summary>
    private readonly struct Request(MotadataCachingChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options, bool streaming)
    {
        public void Write(Utf8JsonWriter writer)
        {
            var json = client._json;
            writer.WriteStartObject();
            writer.WriteString("version", client._options.Version);
            writer.WriteString("model", options?.ModelId ?? client.DefaultModelId);
            writer.WriteBoolean("stream", streaming);
            CanonicalRequest.WriteMessages(writer, messages, json);
            CanonicalRequest.WriteOptions(writer, options, json);
            writer.WriteEndObject();
        }
    }
}
