namespace Gateway.Proxy.Mcp.Http;

/// <summary>Where messages about a JSON-answered stateless request go: nowhere, as it has no stream to carry them.</summary>
internal sealed class DiscardSink : IMcpMessageSink
{
    public static readonly DiscardSink Instance = new();

    public ValueTask SendAsync(byte[] message, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
