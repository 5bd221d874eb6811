using Microsoft.Extensions.AI;

namespace Motadata.Cache.AI.Agents;

/// <summary>
/// Keeps a conversation within its bounds by dropping its oldest turns: a turn is a user message and what follows it
/// up to the next user message (answers, tool calls and results), so no tool result is left without its call.
/// System messages are never dropped, and the newest turn is always kept.
/// </summary>
internal static class HistoryTrimmer
{
    public static int EstimateTokens(ChatMessage message) => 4 + ((message.Text.Length + 3) / 4);

    public static List<ChatMessage> Trim(List<ChatMessage> messages, int? maxMessages, int? maxTokens, Func<ChatMessage, int> estimate)
    {
        if (maxMessages is null && maxTokens is null)
        {
            return messages;
        }

        var counted = 0;
        long tokens = 0;
        var tokensOf = new int[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role != ChatRole.System)
            {
                counted++;
            }

            if (maxTokens is not null)
            {
                tokensOf[i] = estimate(messages[i]);
                tokens += tokensOf[i];
            }
        }

        var dropped = new bool[messages.Count];
        var lastTurnStart = LastTurnStart(messages);
        var next = 0;
        while ((counted > maxMessages || tokens > maxTokens) && next < lastTurnStart)
        {
            // Drop one turn: the first droppable message and the non-user, non-system messages after it.
            while (next < lastTurnStart && messages[next].Role == ChatRole.System)
            {
                next++;
            }

            var first = true;
            while (next < lastTurnStart && messages[next].Role != ChatRole.System && (first || messages[next].Role != ChatRole.User))
            {
                dropped[next] = true;
                counted--;
                tokens -= tokensOf[next];
                first = false;
                next++;
            }

            while (next < lastTurnStart && messages[next].Role == ChatRole.System)
            {
                next++;
            }
        }

        if (next == 0)
        {
            return messages;
        }

        var kept = new List<ChatMessage>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            if (!dropped[i])
            {
                kept.Add(messages[i]);
            }
        }

        return kept;
    }

    private static int LastTurnStart(List<ChatMessage> messages)
    {
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role == ChatRole.User)
            {
                return i;
            }
        }

        return messages.Count;
    }
}
