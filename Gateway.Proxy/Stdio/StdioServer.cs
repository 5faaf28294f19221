using Gateway.Authentication.Upstream;
using Gateway.Proxy.JsonRpc;
using System.Collections.Concurrent;
using System.Text;
using Gateway.Contracts;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Mcp;
using Gateway.Proxy.Mcp.Dispatch;
using Gateway.Proxy.Mcp.Edge;
using Gateway.Proxy.Mcp.Sessions;
using Gateway.Proxy.Pipeline;
using Gateway.Authentication;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Stdio;

/// <summary>
/// Serves one MCP client on stdin/stdout (newline-delimited JSON-RPC) with the same dispatcher and pipeline as
/// <c>/mcp</c>. Requests run concurrently so the client can answer a backend's sampling or elicitation request
/// while the call that caused it is still open. Ends on stdin close (then stops the host) or on shutdown.
/// </summary>
internal sealed partial class StdioServer(
    McpDispatcher dispatcher,
    McpEdge edge,
    SessionHandshake handshake,
    McpSessionStore sessions,
    ApiKeyDirectory keys,
    AuditRecorder audit,
    IOptions<StdioOptions> stdio,
    IOptionsMonitor<McpOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<StdioServer> logger) : BackgroundService
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private Stream _stdout = Stream.Null;
    private McpSession? _session;

    /// <summary>Streams to serve instead of the process's own (tests); null means the console.</summary>
    public (Stream Input, Stream Output)? Streams { get; init; }

    public override void Dispose()
    {
        _writeLock.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var input = Streams?.Input ?? Console.OpenStandardInput();
        _stdout = Streams?.Output ?? Console.OpenStandardOutput();
        var client = ResolveClient();
        LogServing(logger, client?.ClientId ?? "(none)");
        // The stdio client is an API key (or anonymous), never a user with a token: a backend that acts on a user's
        // behalf refuses its calls, as it does API-key calls over HTTP. Every call below runs in this context.
        CallingUser.Set(null);
        using var reader = new StreamReader(input, new UTF8Encoding(false));
        try
        {
            while (await reader.ReadLineAsync(stoppingToken).AsTask().WaitAsync(stoppingToken) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                var work = HandleLineAsync(Encoding.UTF8.GetBytes(line), client, stoppingToken);
                _inFlight[work] = 0;
                _ = work.ContinueWith(t => _inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            LogInputClosed(logger);
            await Task.WhenAll(_inFlight.Keys).WaitAsync(options.CurrentValue.RequestTimeout, time, stoppingToken)
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (_session is { } session)
            {
                await sessions.RemoveAsync(session.Id);
            }
        }

        lifetime.StopApplication();
    }

    private ClientIdentity? ResolveClient()
    {
        if (stdio.Value.ApiKey is { Length: > 0 } key)
        {
            return keys.FindByKey(key) is { } configured ? new ClientIdentity(configured.Id, configured.Roles, IsAnonymous: false) : null;
        }

        return keys.Anonymous is { } anonymous ? new ClientIdentity(anonymous.ClientId, anonymous.Roles, IsAnonymous: true) : null;
    }

    private async Task HandleLineAsync(byte[] line, ClientIdentity? client, CancellationToken cancellationToken)
    {
        try
        {
            using var message = edge.Admit(line, client, _session?.Id, out var refusal);
            if (message is null)
            {
                await WriteAsync(refusal.Answer, cancellationToken);
                return;
            }

            if (client is null)
            {
                if (message.IsRequest)
                {
                    const string detail = "No client identity: set Gateway:Stdio:ApiKey or configure anonymous access.";
                    var answer = JsonRpcWriter.Error(message.Id, GatewayErrorCodes.Unauthenticated, detail);
                    await WriteAsync(answer, cancellationToken);
                    audit.RecordUnauthenticated(message.Method ?? "", message.IdText, null, answer.Length, detail);
                }

                return;
            }

            if (message.Method == McpMethods.Initialize && message.IsRequest)
            {
                await InitializeAsync(message, client, cancellationToken);
                return;
            }

            if (_session is null && message.IsRequest && message.Method != McpMethods.Ping)
            {
                await WriteAsync(JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidRequest, "Invalid Request: send initialize first."), cancellationToken);
                return;
            }

            var context = new McpRequestContext { Client = client, Session = _session, Sink = new StdoutSink(this) };
            if (await dispatcher.HandleAsync(message, context, cancellationToken) is { } response)
            {
                await WriteAsync(response, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The first initialize opens the session; a repeated one is answered with the version it negotiated.</summary>
    private async Task InitializeAsync(JsonRpcMessage message, ClientIdentity client, CancellationToken cancellationToken)
    {
        if (_session is null)
        {
            _session = handshake.Open(message, client);
            _ = DrainOutboundAsync(_session, cancellationToken);
        }

        await WriteAsync(SessionHandshake.Result(message, _session), cancellationToken);
    }

    private async Task DrainOutboundAsync(McpSession session, CancellationToken cancellationToken)
    {
        try
        {
            // The stdio session never idles out: it lives as long as stdin is open.
            await session.StreamOpenedAsync();
            await foreach (var message in session.Outbound.Reader.ReadAllAsync(cancellationToken))
            {
                await WriteAsync(message, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async ValueTask WriteAsync(byte[] message, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await _stdout.WriteAsync(message, cancellationToken);
            _stdout.WriteByte((byte)'\n');
            await _stdout.FlushAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private sealed class StdoutSink(StdioServer server) : IMcpMessageSink
    {
        public ValueTask SendAsync(byte[] message, CancellationToken cancellationToken) => server.WriteAsync(message, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving MCP on stdio as client {ClientId}")]
    private static partial void LogServing(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Information, Message = "stdin closed; stopping")]
    private static partial void LogInputClosed(ILogger logger);
}
