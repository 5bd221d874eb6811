using System.Globalization;
using System.Text;

namespace Motadata.Cache.Stores.Tiers.TwoLevel;

/// <summary>
/// One invalidation on the backplane: what it covers, who sent it and its place in the sender's sequence. On the
/// wire, text: <c>{kind}{instance}:{sequence}:{tenant length, or - for the global namespace}:{tenant}{subject}</c>,
/// where the subject is the key, the glob, nothing, or for <see cref="BackplaneMessageKind.Keys"/> a run of
/// <c>{length}:{key}</c>. Lengths make every tenant and key unambiguous, whatever characters they hold.
/// </summary>
internal readonly record struct BackplaneMessage(BackplaneMessageKind Kind, string Instance, long Sequence, string? TenantId, string Subject)
{
    /// <summary>The keys of a <see cref="BackplaneMessageKind.Keys"/> message, in a subject.</summary>
    public static string JoinKeys(IEnumerable<string> keys)
    {
        var builder = new StringBuilder();
        foreach (var key in keys)
        {
            builder.Append(key.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(key);
        }

        return builder.ToString();
    }

    /// <summary>The keys of a <see cref="BackplaneMessageKind.Keys"/> subject; null when it is malformed.</summary>
    public static List<string>? SplitKeys(string subject)
    {
        var keys = new List<string>();
        var at = 0;
        while (at < subject.Length)
        {
            var colon = subject.IndexOf(':', at);
            if (colon < 0 || !int.TryParse(subject.AsSpan(at, colon - at), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length > subject.Length - colon - 1)
            {
                return null;
            }

            keys.Add(subject.Substring(colon + 1, length));
            at = colon + 1 + length;
        }

        return keys;
    }

    public string Encode()
    {
        var builder = new StringBuilder(Instance.Length + 32 + (TenantId?.Length ?? 0) + Subject.Length);
        builder.Append((char)Kind).Append(Instance).Append(':')
            .Append(Sequence.ToString(CultureInfo.InvariantCulture)).Append(':')
            .Append(TenantId is null ? "-" : TenantId.Length.ToString(CultureInfo.InvariantCulture)).Append(':')
            .Append(TenantId).Append(Subject);
        return builder.ToString();
    }

    /// <summary>Reads a message; false when it is not one of ours or is malformed.</summary>
    public static bool TryDecode(string? text, out BackplaneMessage message)
    {
        message = default;
        if (string.IsNullOrEmpty(text) || !Enum.IsDefined((BackplaneMessageKind)text[0]))
        {
            return false;
        }

        var instanceEnd = text.IndexOf(':', 1);
        var sequenceEnd = instanceEnd < 0 ? -1 : text.IndexOf(':', instanceEnd + 1);
        var tenantLengthEnd = sequenceEnd < 0 ? -1 : text.IndexOf(':', sequenceEnd + 1);
        if (tenantLengthEnd < 0
            || !long.TryParse(text.AsSpan(instanceEnd + 1, sequenceEnd - instanceEnd - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return false;
        }

        var lengthText = text.AsSpan(sequenceEnd + 1, tenantLengthEnd - sequenceEnd - 1);
        string? tenantId = null;
        var subjectStart = tenantLengthEnd + 1;
        if (!lengthText.SequenceEqual("-"))
        {
            if (!int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var tenantLength) || tenantLength > text.Length - subjectStart)
            {
                return false;
            }

            tenantId = text.Substring(subjectStart, tenantLength);
            subjectStart += tenantLength;
        }

        message = new BackplaneMessage((BackplaneMessageKind)text[0], text[1..instanceEnd], sequence, tenantId, text[subjectStart..]);
        return true;
    }
}
