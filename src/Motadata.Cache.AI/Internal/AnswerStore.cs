using System.Text.Json;

namespace Motadata.Cache.AI.Internal;

/// <summary>
/// Reads and writes cached model answers with the time they were cached, so a request's <c>s-maxage</c> can be
/// checked: on the memory backend the object itself (<see cref="CachedAnswer{T}"/>), elsewhere JSON behind a small
/// header (<see cref="AnswerCodec"/>). The cache is an optimisation: a backend failure (recovery off) or an answer in
/// another shape is a miss on read and nothing on write, never the caller's exception. Shared by the caching chat
/// client and the caching agent.
/// </summary>
internal sealed class AnswerStore
{
    private readonly CacheMechanism _cache;
    private readonly JsonSerializerOptions _json;
    private readonly bool _byReference;

    public AnswerStore(CacheMechanism cache, JsonSerializerOptions json)
    {
        _cache = cache;
        _json = json;
        _byReference = cache.Backend == CacheBackend.Memory;
    }

    /// <summary>The answer under <paramref name="key"/>, or null when absent, unreadable, or older than <paramref name="maxAge"/>.</summary>
    public async ValueTask<T?> ReadAsync<T>(string key, string? tenantId, TimeSpan? maxAge, CancellationToken cancellationToken)
        where T : class
    {
        long cachedAt;
        T? value;
        try
        {
            if (_byReference)
            {
                var answer = await _cache.GetAsync<CachedAnswer<T>>(key, tenantId, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (answer is null)
                {
                    return null;
                }

                cachedAt = answer.CachedAtUtcTicks;
                value = answer.Value;
            }
            else
            {
                var bytes = await _cache.GetAsync<byte[]>(key, tenantId, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (bytes is null || !AnswerCodec.TryDecode(bytes, out cachedAt, out var json))
                {
                    // Absent, or written by an older version without the header: a miss, and the fresh answer replaces it.
                    return null;
                }

                if (TooOld(cachedAt, maxAge))
                {
                    return null;
                }

                value = (T?)JsonSerializer.Deserialize(json.Span, _json.GetTypeInfo(typeof(T)));
            }
        }
        catch (CacheBackendException)
        {
            // The cache is an optimisation: with the server away (and recovery off) the model still answers.
            return null;
        }
        catch (JsonException)
        {
            // Written by another version with another shape: treat as a miss, and the fresh answer replaces it.
            return null;
        }

        return TooOld(cachedAt, maxAge) ? null : value;
    }

    /// <summary>Stores <paramref name="value"/> with the time now; a backend failure leaves it uncached.</summary>
    public async ValueTask WriteAsync<T>(string key, string? tenantId, T value, TimeSpan? ttl, CancellationToken cancellationToken)
        where T : class
    {
        var cachedAt = _cache.TimeProvider.GetUtcNow().UtcTicks;
        try
        {
            if (_byReference)
            {
                await _cache.SetAsync(key, new CachedAnswer<T>(cachedAt, value), ttl, tenantId, cancellationToken).ConfigureAwait(false);
                return;
            }

            var bytes = AnswerCodec.Encode(cachedAt, JsonSerializer.SerializeToUtf8Bytes(value, _json.GetTypeInfo(typeof(T))));
            await _cache.SetAsync(key, bytes, ttl, tenantId, cancellationToken).ConfigureAwait(false);
        }
        catch (CacheBackendException)
        {
            // The answer is paid for and goes to the caller; it just is not kept this time.
        }
    }

    private bool TooOld(long cachedAtUtcTicks, TimeSpan? maxAge) =>
        maxAge is { } limit && _cache.TimeProvider.GetUtcNow().UtcTicks - cachedAtUtcTicks > limit.Ticks;
}
