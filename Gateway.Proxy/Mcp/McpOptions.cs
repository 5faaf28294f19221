using System.ComponentModel.DataAnnotations;

namespace Gateway.Proxy.Mcp;

/// <summary>Settings of the MCP front end, bound from <c>Gateway:Mcp</c>.</summary>
public sealed class McpOptions
{
    public const string SectionName = "Gateway:Mcp";

    /// <summary>
    /// Host names (without port) accepted in the <c>Host</c> header, against DNS rebinding. <c>*</c> accepts any.
    /// Default: <c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>
    /// Origins (<c>scheme://host[:port]</c>) accepted in the <c>Origin</c> header; a request without <c>Origin</c>
    /// is not a browser's and is accepted. <c>*</c> accepts any. Default: any origin whose host is an allowed host.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>Largest accepted request body, in bytes (HTTP 413 beyond). Default: 4 MiB.</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Upper bound on handling one POST, including its backend call and streamed answer. Default: 5 min.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A session unused for this long is forgotten; its next request gets HTTP 404. Default: 30 min.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often every backend's catalog is re-read, besides <c>list_changed</c> notifications. Default: 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CatalogRefreshInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Items per page of <c>tools/list</c> and the other merged lists. Default: 100.</summary>
    [Range(1, 10_000)]
    public int PageSize { get; set; } = 100;

    /// <summary>Messages buffered for a session's GET stream before the oldest are dropped. Default: 1024.</summary>
    [Range(16, 1_000_000)]
    public int SessionBufferSize { get; set; } = 1024;

    /// <summary>
    /// Most live sessions this replica holds; an <c>initialize</c> beyond it gets HTTP 503 with -32000. Each session
    /// may own backend sessions and stdio child processes, so the cap bounds what clients can make a replica hold.
    /// Default: 10,000.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxSessions { get; set; } = 10_000;

    /// <summary>
    /// Longest line (one JSON-RPC message) a stdio backend may write on stdout or stderr. A longer stdout line kills
    /// the child (calls in flight get -32008; it restarts after the back-off); a longer stderr line is skipped.
    /// Bounds the memory a runaway child can make the gateway hold. Default: 16 MiB.
    /// </summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public int MaxBackendLineBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// How long a held call (a 2026-07-28 client's call whose session-era backend asked for input) waits for the
    /// client's retry with the answers before it is cancelled. Default: 5 min.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan InputTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most <c>input_required</c> rounds one logical call may take; the backend's next question is refused. Default: 8.</summary>
    [Range(1, 100)]
    public int MaxInputRounds { get; set; } = 8;

    /// <summary>Most calls this replica holds while their clients answer; a call beyond it is refused with -32000. Default: 1,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxHeldCalls { get; set; } = 1000;

    /// <summary>
    /// This replica's own base URL (e.g. <c>http://10.0.0.5:8080</c>), to which another replica forwards a client's
    /// retry of a call held here. Default: the first address the server listens on (a wildcard host read as
    /// <c>localhost</c>, which is right only when every replica runs on one machine).
    /// </summary>
    public Uri? ReplicaAddress { get; set; }

    /// <summary>
    /// <c>ttlMs</c> on 2026-07-28 list and <c>server/discover</c> results: how long a client may consider them fresh
    /// (catalog changes still arrive as <c>list_changed</c>). Default: 60 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ListTtl { get; set; } = TimeSpan.FromSeconds(60);

    internal static readonly string[] DefaultHosts = ["localhost", "127.0.0.1", "[::1]", "::1"];
}
