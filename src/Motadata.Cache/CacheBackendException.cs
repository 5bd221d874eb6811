namespace Motadata.Cache;

/// <summary>
/// A call to the cache server failed or timed out, and <see cref="CacheConfig.EnableRecovery"/> is off so the failure
/// is surfaced instead of being turned into a miss. The message names the endpoint (never a password) and the cause;
/// <see cref="Exception.InnerException"/> holds the client's own exception.
/// </summary>
public class CacheBackendException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public CacheBackendException()
        : base("The cache backend failed.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What failed, for a person to read.</param>
    public CacheBackendException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What failed, for a person to read.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public CacheBackendException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
