using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Mcp;

namespace Gateway.Proxy.Backends;

/// <summary>
/// A session with an MCP server run as a child process speaking newline-delimited JSON-RPC on stdin/stdout.
/// When the process dies, calls in flight fail as transport errors and it is started again after a back-off that
/// doubles on each quick death (0.5 s up to 30 s); the new process gets a fresh initialize. Killed with its tree
/// when the connection is disposed (gateway session end or shutdown).
/// </summary>
internal sealed partial class StdioBackendConnection : BackendConnection
{
    private static readonly TimeSpan s_minBackoff = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_stableUptime = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<BackendMessage>> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TimeProvider _time;
    private readonly int _maxLineBytes;
    private readonly ChildProcessLauncher _launcher;
    private readonly CancellationTokenSource _lifetime = new();
    private Process? _process;
    private long _startedAt;
    private long _notBefore;
    private int _quickDeaths;

    public StdioBackendConnection(BackendOptions options, RelayTarget? owner, JsonElement clientCapabilities, TimeProvider time,
        BackendEvents events, ILogger logger, int maxLineBytes, ChildProcessLauncher launcher)
        : base(options, owner, clientCapabilities, events, logger)
    {
        _time = time;
        _maxLineBytes = maxLineBytes;
        _launcher = launcher;
    }

    public override async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync();
        KillProcess();
        FailPending(new BackendException("transport", $"Backend '{Backend}' connection closed."));
        _lifetime.Dispose();
        _writeLock.Dispose();
        await base.DisposeAsync();
    }

    protected override async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (_process is { HasExited: false })
        {
            return;
        }

        var wait = TimeSpan.FromTicks(Interlocked.Read(ref _notBefore) - _time.GetUtcNow().UtcTicks);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _time, cancellationToken);
        }

        await StartAsync();
    }

    protected override async Task<BackendMessage> SendRequestAsync(long id, byte[] message, RelayTarget? relay, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<BackendMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            await WriteAsync(message, cancellationToken);
            return await answer.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    protected override Task SendMessageAsync(byte[] message, CancellationToken cancellationToken) => WriteAsync(message, cancellationToken);

    private async Task StartAsync()
    {
        var command = Options.Command ?? throw new BackendException("protocol", $"Backend '{Backend}' has no Command.");
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            WorkingDirectory = Options.WorkingDirectory ?? "",
        };
        foreach (var argument in Options.Args)
        {
            start.ArgumentList.Add(argument);
        }

        ChildEnvironment.Apply(start.Environment, Options.Env, Options.InheritEnv);

        Process process;
        try
        {
            process = await _launcher.StartAsync(start);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            ScheduleRestart();
            throw new BackendException("transport", $"Backend '{Backend}' could not be started: {ex.Message}", ex);
        }

        _process = process;
        _startedAt = _time.GetTimestamp();
        LogStarted(Logger, Backend, process.Id);
        _ = ReadOutputAsync(process);
        _ = ReadErrorsAsync(process);
    }

    private async Task WriteAsync(byte[] message, CancellationToken cancellationToken)
    {
        var process = _process;
        if (process is null || process.HasExited)
        {
            MarkUninitialized();
            throw new BackendException("transport", $"Backend '{Backend}' process is not running.");
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var stdin = process.StandardInput.BaseStream;
            await stdin.WriteAsync(message, cancellationToken);
            stdin.WriteByte((byte)'\n');
            await stdin.FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            throw new BackendException("transport", $"Backend '{Backend}' closed its stdin: {ex.Message}", ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadOutputAsync(Process process)
    {
        var lines = new BoundedLineReader(process.StandardOutput.BaseStream, _maxLineBytes);
        try
        {
            while (await lines.ReadLineAsync(_lifetime.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                var document = ParseMessage(line);
                if (document is null)
                {
                    continue;
                }

                var root = document.RootElement;
                if (!root.TryGetProperty("method", out _)
                    && root.TryGetProperty("id", out var id)
                    && id.ValueKind == JsonValueKind.Number
                    && id.TryGetInt64(out var value)
                    && _pending.TryGetValue(value, out var answer))
                {
                    answer.TrySetResult(document);
                    continue;
                }

                using (document)
                {
                    await HandleServerMessageAsync(root, null);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (LineTooLongException ex)
        {
            // The stream can no longer be trusted to be in step with our requests: end this process; the exit path
            // below fails the calls in flight and starts a new one after the back-off.
            LogLineTooLong(Logger, Backend, ex.MaxBytes);
            FailPending(new BackendException("protocol", $"Backend '{Backend}' wrote a message over {ex.MaxBytes} bytes; its process was killed."));
            TryKill(process);
        }
        catch (IOException)
        {
            // The pipe broke with the process; handled as an exit below.
        }

        await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        OnExited(process);
    }

    private async Task ReadErrorsAsync(Process process)
    {
        var lines = new BoundedLineReader(process.StandardError.BaseStream, _maxLineBytes);
        while (true)
        {
            try
            {
                if (await lines.ReadLineAsync(_lifetime.Token) is not { } line)
                {
                    return;
                }

                LogStderr(Logger, Backend, Encoding.UTF8.GetString(line));
            }
            catch (LineTooLongException ex)
            {
                // Only logs: skip the overlong part and keep reading.
                LogStderrLineTooLong(Logger, Backend, ex.MaxBytes);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                return;
            }
        }
    }

    private void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            LogKillFailed(Logger, Backend, ex.Message);
        }
    }

    private void OnExited(Process process)
    {
        if (!ReferenceEquals(_process, process) || _lifetime.IsCancellationRequested)
        {
            return;
        }

        var code = process.HasExited ? process.ExitCode : -1;
        LogExited(Logger, Backend, code);
        MarkUninitialized();
        FailPending(new BackendException("transport", $"Backend '{Backend}' process exited with code {code}."));
        ScheduleRestart();
        _ = RestartAsync();
    }

    private void ScheduleRestart()
    {
        _quickDeaths = _time.GetElapsedTime(_startedAt) > s_stableUptime ? 0 : _quickDeaths + 1;
        var backoff = TimeSpan.FromTicks(Math.Min(s_maxBackoff.Ticks, s_minBackoff.Ticks << Math.Min(_quickDeaths, 16)));
        Interlocked.Exchange(ref _notBefore, _time.GetUtcNow().UtcTicks + backoff.Ticks);
    }

    /// <summary>Brings the session back after a crash, so notifications and the catalog resume without a call.</summary>
    private async Task RestartAsync()
    {
        try
        {
            using var ping = await RequestAsync(McpMethods.Ping, default, null, _lifetime.Token);
        }
        catch (Exception ex) when (ex is BackendException or OperationCanceledException or ObjectDisposedException)
        {
            LogRestartFailed(Logger, Backend, ex.Message);
        }
    }

    private void FailPending(Exception error)
    {
        foreach (var (id, answer) in _pending)
        {
            if (_pending.TryRemove(id, out _))
            {
                answer.TrySetException(error);
            }
        }
    }

    private void KillProcess()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is null)
        {
            return;
        }

        try
        {
            // Closing stdin lets a well-behaved server exit on its own; the kill covers the rest of its tree.
            process.StandardInput.Close();
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                // Kill only signals; wait so that "stopped" means the child is gone.
                process.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            LogKillFailed(Logger, Backend, ex.Message);
        }
        finally
        {
            process.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Backend {Backend} process started (pid {Pid})")]
    private static partial void LogStarted(ILogger logger, string backend, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {Backend} process exited with code {Code}; restarting after back-off")]
    private static partial void LogExited(ILogger logger, string backend, int code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {Backend} restart failed: {Reason}")]
    private static partial void LogRestartFailed(ILogger logger, string backend, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Backend {Backend} stderr: {Line}")]
    private static partial void LogStderr(ILogger logger, string backend, string line);

    [LoggerMessage(Level = LogLevel.Error, Message = "Backend {Backend} wrote a stdout line over {MaxBytes} bytes (Gateway:Mcp:MaxBackendLineBytes); killing its process")]
    private static partial void LogLineTooLong(ILogger logger, string backend, int maxBytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {Backend} wrote a stderr line over {MaxBytes} bytes; skipped")]
    private static partial void LogStderrLineTooLong(ILogger logger, string backend, int maxBytes);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Backend {Backend} process could not be killed: {Reason}")]
    private static partial void LogKillFailed(ILogger logger, string backend, string reason);
}
