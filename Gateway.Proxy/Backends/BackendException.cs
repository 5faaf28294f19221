namespace Gateway.Proxy.Backends;

/// <summary>
/// A backend failed in a way that counts against its breaker: unreachable, crashed, 5xx, or an answer that is not
/// MCP. <see cref="Kind"/> is <c>transport</c> or <c>protocol</c>.
/// </summary>
internal sealed class BackendException : Exception
{
    public BackendException()
    {
        Kind = "transport";
    }

    public BackendException(string message)
        : base(message)
    {
        Kind = "transport";
    }

    public BackendException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = "transport";
    }

    public BackendException(string kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public string Kind { get; }
}

/// <summary>The backend forgot our session (HTTP 404): initialize again and retry.</summary>
internal sealed class BackendSessionExpiredException : Exception
{
    public BackendSessionExpiredException()
    {
    }

    public BackendSessionExpiredException(string message)
        : base(message)
    {
    }

    public BackendSessionExpiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
