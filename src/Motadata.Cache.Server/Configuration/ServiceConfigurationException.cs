namespace Motadata.Cache.Server.Configuration;

/// <summary>The service's settings are bad; the message says which and what is allowed. The service does not start.</summary>
internal sealed class ServiceConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ServiceConfigurationException()
    {
    }

    /// <summary>Creates the exception with a message a person can act on.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    public ServiceConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public ServiceConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
