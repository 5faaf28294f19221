using System.Diagnostics;
using Gateway.AppHost.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.AppHost.Orchestration;

/// <summary>
/// Runs one resource: waits for its dependencies, prepares it once, launches its process in a process group of its
/// own, probes its health, and restarts it with back-off when it exits without being asked to.
/// </summary>
internal sealed class ResourceRunner : IDisposable
{
    private static readonly TimeSpan ProbeIntervalStarting = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ProbeIntervalRunning = TimeSpan.FromSeconds(2);

    private readonly ILogger _logger;
    private readonly ProcessReaper _reaper;
    private readonly TimeProvider _time;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly Lock _lock = new();
    private TaskCompletionSource _healthy = NewSignal();
    private bool _prepared;
    private Task? _supervision;
    private CancellationTokenSource? _stop;
    private Process? _process;

    public ResourceRunner(
        ResourceContext context,
        IReadOnlyDictionary<string, string> environment,
        ProcessReaper reaper,
        TimeProvider time,
        ILogger logger)
    {
        Context = context;
        _environment = environment;
        _reaper = reaper;
        _time = time;
        _logger = logger;
        Log = new ResourceLog(Path.Combine(context.Layout.LogDirectory, Resource.Name + ".log"));
    }

    public Resource Resource => Context.Resource;

    public ResourceContext Context { get; }

    public ResourceLog Log { get; }

    public ResourceState State { get; private set; } = ResourceState.Pending;

    public HealthState Health { get; private set; } = HealthState.Unknown;

    public int Restarts { get; private set; }

    public int? LastExitCode { get; private set; }

    public int? ProcessId
    {
        get
        {
            lock (_lock)
            {
                return _process is { } process && State is ResourceState.Starting or ResourceState.Running or ResourceState.Stopping
                    ? process.Id
                    : null;
            }
        }
    }

    public IReadOnlyDictionary<string, string> Environment => _environment;

    /// <summary>Completes when the resource is healthy (now, or the next time it becomes so).</summary>
    public Task WaitForHealthyAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _healthy.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Waits for <paramref name="dependencies"/>, prepares, launches, and returns once healthy.</summary>
    public async Task StartAsync(IEnumerable<ResourceRunner> dependencies, CancellationToken cancellationToken)
    {
        State = ResourceState.Waiting;
        await Task.WhenAll(dependencies.Select(d => d.WaitForHealthyAsync(cancellationToken)));

        State = ResourceState.Starting;
        if (!_prepared)
        {
            try
            {
                foreach (var hook in Resource.BeforeStart)
                {
                    await hook(Context, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                State = ResourceState.Failed;
                Log.Append("preparation failed: " + ex.Message);
                throw;
            }

            _prepared = true;
        }

        if (Resource.Launch is null)
        {
            State = ResourceState.Running;
            SetHealth(HealthState.Healthy);
            return;
        }

        var stop = new CancellationTokenSource();
        lock (_lock)
        {
            _stop = stop;
            _supervision = SuperviseAsync(stop.Token);
        }

        await WaitForHealthyAsync(cancellationToken);
    }

    /// <summary>Stops the process group gracefully (its stop signal), then by SIGKILL after <paramref name="timeout"/>.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        Task? supervision;
        Process? process;
        lock (_lock)
        {
            supervision = _supervision;
            process = _process;
            _stop?.Cancel();
        }

        if (supervision is null)
        {
            State = Resource.Launch is null ? ResourceState.Stopped : State;
            SetHealth(HealthState.Unknown);
            return;
        }

        State = ResourceState.Stopping;
        if (process is not null && !HasExited(process))
        {
            Signals.SendToGroup(process.Id, Resource.StopSignal);
        }

        if (await Task.WhenAny(supervision, Task.Delay(timeout, _time)) != supervision && process is not null)
        {
            _logger.LogWarning("{Resource} did not stop within {Timeout} s; killing it", Resource.Name, timeout.TotalSeconds);
            Signals.SendToGroup(process.Id, Signals.Kill);
        }

        await supervision;
        lock (_lock)
        {
            _supervision = null;
        }
    }

    /// <summary>SIGKILLs the process group, as a crash would; the runner restarts it.</summary>
    public void Kill()
    {
        lock (_lock)
        {
            if (_process is { } process && !HasExited(process))
            {
                Signals.SendToGroup(process.Id, Signals.Kill);
            }
        }
    }

    public void Dispose()
    {
        _stop?.Dispose();
        Log.Dispose();
    }

    private async Task SuperviseAsync(CancellationToken stopping)
    {
        var consecutiveFailures = 0;
        while (true)
        {
            Process process;
            try
            {
                process = Launch();
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                State = ResourceState.Failed;
                Log.Append("could not start: " + ex.Message);
                _logger.LogError("{Resource} could not start: {Message}", Resource.Name, ex.Message);
                return;
            }

            using (var probing = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                var probe = ProbeAsync(() => consecutiveFailures = 0, probing.Token);
                await process.WaitForExitAsync(CancellationToken.None);
                await probing.CancelAsync();
                await probe;
            }

            LastExitCode = process.ExitCode;
            SetHealth(HealthState.Unhealthy);
            ReapGroup(process.Id);

            if (stopping.IsCancellationRequested)
            {
                State = ResourceState.Stopped;
                SetHealth(HealthState.Unknown);
                return;
            }

            consecutiveFailures++;
            Restarts++;
            var delay = RestartBackoff.For(consecutiveFailures);
            State = ResourceState.Restarting;
            _logger.LogWarning(
                "{Resource} exited with code {ExitCode}; restart #{Restarts} in {Delay} s",
                Resource.Name, process.ExitCode, Restarts, delay.TotalSeconds);
            Log.Append($"[apphost] exited with code {process.ExitCode}; restart #{Restarts} in {delay.TotalSeconds} s");
            try
            {
                await Task.Delay(delay, _time, stopping);
            }
            catch (OperationCanceledException)
            {
                State = ResourceState.Stopped;
                SetHealth(HealthState.Unknown);
                return;
            }
        }
    }

    private Process Launch()
    {
        var launch = Resource.Launch!;
        // setsid puts the child in a new session and process group (its pid is the group id), so a signal to the
        // group reaches everything it forks, and Ctrl+C in the terminal reaches only the AppHost, which stops
        // children in order.
        var start = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // A pipe that never closes while the AppHost lives: children never read the terminal.
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = launch.WorkingDirectory?.Invoke(Context) ?? Context.DataDirectory,
        };
        start.ArgumentList.Add(launch.Command);
        foreach (var argument in launch.Arguments(Context))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        State = ResourceState.Starting;
        lock (_lock)
        {
            process.Start();
            _reaper.Track(process.Id);
            _process?.Dispose();
            _process = process;
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Log.Append($"[apphost] started pid {process.Id}: {launch.Command} {string.Join(' ', start.ArgumentList.Skip(1))}");
        return process;
    }

    private async Task ProbeAsync(Action becameHealthy, CancellationToken cancellationToken)
    {
        var ready = false;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var healthy = Resource.HealthCheck is null || await Resource.HealthCheck.IsHealthyAsync(Context, cancellationToken);
                if (healthy && !ready)
                {
                    foreach (var hook in Resource.AfterReady)
                    {
                        await hook(Context, cancellationToken);
                    }

                    ready = true;
                    becameHealthy();
                    State = ResourceState.Running;
                }

                SetHealth(!ready ? HealthState.Unknown : healthy ? HealthState.Healthy : HealthState.Unhealthy);
                await Task.Delay(ready ? ProbeIntervalRunning : ProbeIntervalStarting, _time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The process exited or is being stopped; the supervisor decides what happens next.
        }
        catch (Exception ex)
        {
            // A failing readiness hook leaves the resource unhealthy (visible) rather than crashing the AppHost.
            Log.Append("[apphost] readiness failed: " + ex.Message);
            _logger.LogError("{Resource} readiness failed: {Message}", Resource.Name, ex.Message);
            SetHealth(HealthState.Unhealthy);
        }
    }

    /// <summary>Kills whatever the process left in its group (an Erlang VM, a node child) and forgets the group.</summary>
    private void ReapGroup(int groupId)
    {
        if (Signals.GroupExists(groupId))
        {
            Signals.SendToGroup(groupId, Signals.Kill);
        }

        _reaper.Untrack(groupId);
    }

    private void SetHealth(HealthState health)
    {
        lock (_lock)
        {
            if (health == Health)
            {
                return;
            }

            Health = health;
            if (health == HealthState.Healthy)
            {
                _healthy.TrySetResult();
            }
            else if (_healthy.Task.IsCompleted)
            {
                _healthy = NewSignal();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            Log.Append(line);
        }
    }

    private static bool HasExited(Process process)
    {
        try
        {
            return process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
