using System.ComponentModel.DataAnnotations;

namespace Gateway.Proxy.Mcp.Edge;

/// <summary>
/// Limits on what a client may put in one MCP request, bound from <c>Gateway:Mcp:Edge</c>. The limits on methods,
/// tool and prompt names and resource URIs are not here: they are the audit contract's
/// (<see cref="Contracts.Messages.AuditLimits"/>), so a request the edge admits always makes a storable audit event.
/// </summary>
public sealed class EdgeOptions
{
    public const string SectionName = "Gateway:Mcp:Edge";

    /// <summary>
    /// Longest request id and <c>_meta.progressToken</c>, in characters (a number by its JSON text); longer gets
    /// -32600 (id) or -32602 (token). An id longer than the audit's 256 characters is still served: its audit event
    /// keeps the start and the SHA-256 of the whole. Default: 4096.
    /// </summary>
    [Range(1, 1024 * 1024)]
    public int MaxIdLength { get; set; } = 4096;

    /// <summary>
    /// Largest <c>params.arguments</c> of a call, in bytes of JSON as sent; larger gets -32602. Matters most on stdio,
    /// which has no body limit. Default: 4 MiB.
    /// </summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxArgumentsBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Deepest nesting of objects and arrays inside <c>params.arguments</c> (the arguments object itself is 1);
    /// deeper gets -32602. The whole message may not nest deeper than 128 levels (-32700). Default: 64.
    /// </summary>
    [Range(1, 120)]
    public int MaxArgumentsDepth { get; set; } = 64;

    /// <summary>Largest <c>params._meta</c>, in bytes of JSON as sent; larger gets -32602. Default: 64 KiB.</summary>
    [Range(256, 16 * 1024 * 1024)]
    public int MaxMetaBytes { get; set; } = 64 * 1024;
}
