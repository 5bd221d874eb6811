using System.Text;
using System.Text.Json;
using Motadata.Cache.AI.Internal;
using Motadata.Cache.Keys;

namespace Motadata.Cache.AI;

/// <summary>
/// Stable keys for caching retrieval (RAG) results: the same question with the same retrieval parameters against
/// the same version of the same index always gives the same key, and a new index version gives new keys. Keys read
/// <c>rag:{index}:{version}:{hash}</c>, so <see cref="IndexPattern"/> and <see cref="VersionPattern"/> can
/// invalidate an index, or one version of it, with <see cref="CacheMechanism.InvalidateAsync"/>.
/// </summary>
public static class RagCacheKeys
{
    /// <summary>What every RAG key starts with.</summary>
    public const string Prefix = "rag:";

    /// <summary>The key of a retrieval.</summary>
    /// <param name="indexName">The index (collection) searched, such as <c>"docs"</c>; must not contain <c>:</c>.</param>
    /// <param name="indexVersion">The index's version (a build id, a timestamp, a counter); bump it when the index changes. Must not contain <c>:</c>.</param>
    /// <param name="query">The user's query. Leading and trailing white space is ignored and runs of white space count as one space.</param>
    /// <param name="retrievalParameters">
    /// Whatever else changes the result (top-k, filters, hybrid weights, the embedding model), as an object
    /// serialized with System.Text.Json; a record or class gives a stable property order. Null when nothing does.
    /// </param>
    /// <param name="ignoreCase">True to treat queries differing only in case as the same (invariant culture).</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">A name or version is empty or contains <c>:</c>; the query is null.</exception>
    public static string QueryKey(string indexName, string indexVersion, string query, object? retrievalParameters = null, bool ignoreCase = false)
    {
        CheckSegment(indexName, nameof(indexName));
        CheckSegment(indexVersion, nameof(indexVersion));
        ArgumentNullException.ThrowIfNull(query);
        var state = (Query: Normalize(query, ignoreCase), Parameters: retrievalParameters);
        var hash = RequestHasher.Hash(string.Empty, state, static (writer, state) =>
        {
            writer.WriteStartObject();
            writer.WriteString("query", state.Query);
            if (state.Parameters is not null)
            {
                writer.WritePropertyName("parameters");
                JsonSerializer.Serialize(writer, state.Parameters, state.Parameters.GetType());
            }

            writer.WriteEndObject();
        });
        return $"{Prefix}{indexName}:{indexVersion}:{hash}";
    }

    /// <summary>The glob matching every key of <paramref name="indexName"/>, whatever the version.</summary>
    /// <param name="indexName">The index.</param>
    /// <returns>The pattern, with glob characters in the name escaped.</returns>
    public static string IndexPattern(string indexName)
    {
        CheckSegment(indexName, nameof(indexName));
        return $"{Prefix}{GlobPattern.Escape(indexName)}:*";
    }

    /// <summary>The glob matching every key of one version of <paramref name="indexName"/>.</summary>
    /// <param name="indexName">The index.</param>
    /// <param name="indexVersion">The version.</param>
    /// <returns>The pattern, with glob characters escaped.</returns>
    public static string VersionPattern(string indexName, string indexVersion)
    {
        CheckSegment(indexName, nameof(indexName));
        CheckSegment(indexVersion, nameof(indexVersion));
        return $"{Prefix}{GlobPattern.Escape(indexName)}:{GlobPattern.Escape(indexVersion)}:*";
    }

    /// <summary><paramref name="query"/> trimmed, with every run of white space made one space (and lower-cased with <paramref name="ignoreCase"/>).</summary>
    /// <param name="query">The query.</param>
    /// <param name="ignoreCase">True to lower-case it (invariant culture).</param>
    /// <returns>The normalized query.</returns>
    public static string Normalize(string query, bool ignoreCase = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        var builder = new StringBuilder(query.Length);
        var pendingSpace = false;
        foreach (var c in query.AsSpan().Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(ignoreCase ? char.ToLowerInvariant(c) : c);
        }

        return builder.ToString();
    }

    private static void CheckSegment(string value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        if (value.Length == 0 || value.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"\"{value}\" is not allowed here: use a non-empty name without ':' (it separates the key's parts).", paramName);
        }
    }
}
