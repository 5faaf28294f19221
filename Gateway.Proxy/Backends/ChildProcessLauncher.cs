using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gateway.Proxy.Backends;

/// <summary>
/// Starts stdio backends so that they die with the proxy even when it is killed with SIGKILL and has no chance to
/// kill them. On Linux each child is started through util-linux's <c>setpriv --pdeathsig KILL -- command args</c>,
/// which sets <c>prctl(PR_SET_PDEATHSIG, SIGKILL)</c> and then execs the command in the same process (same pid, so
/// the proxy still kills it, and its tree, on its own). .NET cannot run code between fork and exec, hence the helper.
/// </summary>
/// <remarks>
/// The kernel sends the signal when the <em>thread</em> that forked the child ends, not the process. A thread-pool
/// thread retires after idling, which would kill healthy children, so every child is forked from one dedicated
/// thread that lives as long as this launcher (the proxy's lifetime). Limits: the signal covers the child, not
/// processes it starts itself; a proxy dying in the instant between fork and prctl leaves that one child to notice
/// its closed stdin. Without setpriv (not Linux, or not installed) children start directly, as before.
/// </remarks>
internal sealed class ChildProcessLauncher : IDisposable
{
    private const string SetPriv = "/usr/bin/setpriv";
    private readonly BlockingCollection<(ProcessStartInfo Start, TaskCompletionSource<Process> Started)> _queue = new();
    private readonly string? _setPriv;

    public ChildProcessLauncher()
    {
        _setPriv = OperatingSystem.IsLinux() && File.Exists(SetPriv) ? SetPriv : null;
        new Thread(Run) { IsBackground = true, Name = "stdio backend launcher" }.Start();
    }

    /// <summary>Starts the process on the launcher thread; faults like <see cref="Process.Start(ProcessStartInfo)"/>.</summary>
    public Task<Process> StartAsync(ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add((Wrap(start), started));
        return started.Task;
    }

    /// <summary>Ends the launcher thread: call only when no child of it may live on (the proxy is stopping).</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
    }

    private ProcessStartInfo Wrap(ProcessStartInfo start)
    {
        if (_setPriv is null)
        {
            return start;
        }

        // setpriv execs through PATH like Process.Start does, so an unknown command would only show as exit code
        // 127; resolve it here to keep the clear "could not be started" error.
        var command = Resolve(start.FileName)
            ?? throw new System.ComponentModel.Win32Exception(2, $"'{start.FileName}' was not found");
        string[] prefix = ["--pdeathsig", "KILL", "--", command];
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            start.ArgumentList.Insert(0, prefix[i]);
        }

        start.FileName = _setPriv;
        return start;
    }

    private static string? Resolve(string command)
    {
        if (command.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(command) ? command : null;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private void Run()
    {
        foreach (var (start, started) in _queue.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(start) ?? throw new InvalidOperationException($"'{start.FileName}' did not start."));
            }
            catch (Exception ex)
            {
                started.SetException(ex);
            }
        }

        _queue.Dispose();
    }
}
