using System.Diagnostics;
using System.Net.Sockets;

namespace Gateway.AppHost.Hosting;

/// <summary>Readiness of a running resource, probed until it passes and then periodically.</summary>
public interface IResourceHealthCheck
{
    /// <summary>What is probed, for the dashboard.</summary>
    string Description { get; }

    Task<bool> IsHealthyAsync(ResourceContext context, CancellationToken cancellationToken);
}

/// <summary>Healthy when <c>GET {endpoint}{path}</c> answers 2xx.</summary>
public sealed class HttpHealthCheck(string endpoint, string path) : IResourceHealthCheck
{
    // One client for every probe: probes are frequent and short, and must not exhaust sockets.
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(2) };

    public string Description => $"GET {path}";

    public async Task<bool> IsHealthyAsync(ResourceContext context, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Client.GetAsync(new Uri(context.Url(endpoint), path), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }
}

/// <summary>Healthy when a TCP connection to the endpoint succeeds.</summary>
public sealed class TcpHealthCheck(string endpoint) : IResourceHealthCheck
{
    public string Description => $"TCP connect ({endpoint})";

    public async Task<bool> IsHealthyAsync(ResourceContext context, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync("127.0.0.1", context.Port(endpoint), timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }
}

/// <summary>
/// Healthy when the broker answers the AMQP 0-9-1 protocol header with a <c>connection.start</c> frame. RabbitMQ
/// opens its AMQP listener last in its boot, so this says what clients need (the broker accepts connections) at a
/// fraction of the cost of <c>rabbitmq-diagnostics</c>, which boots an Erlang VM per call.
/// </summary>
public sealed class AmqpHealthCheck(string endpoint) : IResourceHealthCheck
{
    private static readonly byte[] ProtocolHeader = "AMQP\0\0\u0009\u0001"u8.ToArray();

    public string Description => "AMQP connection.start";

    public async Task<bool> IsHealthyAsync(ResourceContext context, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await client.ConnectAsync("127.0.0.1", context.Port(endpoint), timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(ProtocolHeader, timeout.Token);
            var frame = new byte[7];
            await stream.ReadExactlyAsync(frame, timeout.Token);
            // Frame type 1 (method) on channel 0: the server's connection.start.
            return frame[0] == 1 && frame[1] == 0 && frame[2] == 0;
        }
        catch (Exception ex) when (ex is SocketException or IOException
                                   || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }
}

/// <summary>Healthy when a command exits with code 0 (e.g. <c>pg_isready</c>).</summary>
public sealed class CommandHealthCheck(string command, Func<ResourceContext, IReadOnlyList<string>> arguments) : IResourceHealthCheck
{
    public string Description => Path.GetFileName(command);

    public async Task<bool> IsHealthyAsync(ResourceContext context, CancellationToken cancellationToken)
    {
        var result = await CommandRunner.RunAsync(command, arguments(context), TimeSpan.FromSeconds(5), cancellationToken: cancellationToken);
        return result.ExitCode == 0;
    }
}

/// <summary>Runs a short command to completion (tool restore, initdb, readiness probes), killing it on timeout.</summary>
public static class CommandRunner
{
    public sealed record Result(int ExitCode, string Output);

    public static async Task<Result> RunAsync(
        string command,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        string? workingDirectory = null,
        CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command}.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            return new Result(-1, $"{command} timed out after {timeout.TotalSeconds:0} s");
        }

        return new Result(process.ExitCode, (await output) + (await error));
    }
}
