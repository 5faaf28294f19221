namespace Gateway.Proxy.Mcp;

/// <summary>Protocol constants: versions, header names, method names.</summary>
internal static class McpProtocol
{
    /// <summary>The stateless revision: no initialize, no session, version and capabilities in every request's <c>_meta</c>.</summary>
    public const string StatelessVersion = "2026-07-28";

    public const string LatestSessionVersion = "2025-11-25";

    /// <summary>Revisions with the initialize handshake and <c>Mcp-Session-Id</c>, newest first.</summary>
    /// <summary>The only version whose transport allowed JSON-RPC batches (2025-06-18 removed them).</summary>
    public const string BatchVersion = "2025-03-26";

    public static readonly string[] SessionVersions = [LatestSessionVersion, "2025-06-18", "2025-03-26"];

    public static readonly string[] AllVersions = [StatelessVersion, .. SessionVersions];

    public const string SessionIdHeader = "Mcp-Session-Id";
    public const string ProtocolVersionHeader = "MCP-Protocol-Version";
    public const string MethodHeader = "Mcp-Method";
    public const string NameHeader = "Mcp-Name";

    public const string MetaProtocolVersion = "io.modelcontextprotocol/protocolVersion";
    public const string MetaServerInfo = "io.modelcontextprotocol/serverInfo";
    public const string MetaSubscriptionId = "io.modelcontextprotocol/subscriptionId";

    public const string ServerName = "gateway";

    public static string ServerVersion { get; } =
        typeof(McpProtocol).Assembly.GetName().Version?.ToString(3) ?? "1.0.0";

    public static bool IsSupported(string version) => Array.IndexOf(AllVersions, version) >= 0;

    public static bool IsSessionVersion(string version) => Array.IndexOf(SessionVersions, version) >= 0;
}

/// <summary>Method names the gateway handles or routes.</summary>
internal static class McpMethods
{
    public const string Initialize = "initialize";
    public const string Initialized = "notifications/initialized";
    public const string Ping = "ping";
    public const string Discover = "server/discover";
    public const string ToolsList = "tools/list";
    public const string ToolsCall = "tools/call";
    public const string ResourcesList = "resources/list";
    public const string ResourceTemplatesList = "resources/templates/list";
    public const string ResourcesRead = "resources/read";
    public const string ResourcesSubscribe = "resources/subscribe";
    public const string ResourcesUnsubscribe = "resources/unsubscribe";
    public const string PromptsList = "prompts/list";
    public const string PromptsGet = "prompts/get";
    public const string Complete = "completion/complete";
    public const string SetLevel = "logging/setLevel";
    public const string Cancelled = "notifications/cancelled";
    public const string Progress = "notifications/progress";
    public const string RootsListChanged = "notifications/roots/list_changed";
    public const string ToolsListChanged = "notifications/tools/list_changed";
    public const string ResourcesListChanged = "notifications/resources/list_changed";
    public const string PromptsListChanged = "notifications/prompts/list_changed";
    public const string ResourcesUpdated = "notifications/resources/updated";
    public const string SubscriptionsListen = "subscriptions/listen";
    public const string SubscriptionsAcknowledged = "notifications/subscriptions/acknowledged";
}
