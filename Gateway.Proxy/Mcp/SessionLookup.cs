namespace Gateway.Proxy.Mcp;

/// <summary>What looking a session up found.</summary>
internal enum SessionLookupStatus
{
    Found,

    /// <summary>Never created, ended (DELETE) or expired: HTTP 404.</summary>
    NotFound,

    /// <summary>Known to other replicas, but this one holds <see cref="McpOptions.MaxSessions"/> already: HTTP 503.</summary>
    Full,

    /// <summary>Not held here and Redis cannot be asked: HTTP 503.</summary>
    Unavailable,
}

internal readonly record struct SessionLookup(SessionLookupStatus Status, McpSession? Session);
