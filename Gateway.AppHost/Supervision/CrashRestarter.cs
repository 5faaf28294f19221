using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.AppHost.Supervision;

/// <summary>
/// DCP reports a process that died (killed by the OOM killer, <c>kill -9</c>, a crash) as Exited or Finished and leaves
/// it so. For resources marked <see cref="RestartOnCrashAnnotation"/> this starts them again with the dashboard's own
/// Start command, after a <see cref="RestartBackoff"/>. A process that was being stopped (the Stop command, the AppHost's
/// shutdown) or that exits with code 0 (it handled SIGTERM) stays stopped.
/// </summary>
internal sealed partial class CrashRestarter(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    TimeProvider time,
    ILogger<CrashRestarter> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, RestartBackoff> _backoffs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _restarting = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var supervised = model.Resources.Where(r => r.Annotations.OfType<RestartOnCrashAnnotation>().Any()).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var lastState = new Dictionary<string, string?>(StringComparer.Ordinal);
        await foreach (var update in notifications.WatchAsync(stoppingToken))
        {
            if (!supervised.Contains(update.Resource.Name))
            {
                continue;
            }

            var previous = lastState.GetValueOrDefault(update.ResourceId);
            var state = update.Snapshot.State?.Text;
            lastState[update.ResourceId] = state;
            if (IsCrash(previous, state, update.Snapshot.ExitCode) && _restarting.TryAdd(update.ResourceId, 0))
            {
                _ = RestartAsync(update.Resource.Name, update.ResourceId, update.Snapshot.ExitCode, stoppingToken);
            }
        }
    }

    /// <summary>
    /// An exit is a crash when the process was not being stopped (the Stop command and the AppHost's shutdown pass
    /// through Stopping first; a process killed by SIGTERM then exits non-zero, yet was stopped on purpose) and it
    /// did not exit cleanly.
    /// </summary>
    private static bool IsCrash(string? previous, string? state, int? exitCode) =>
        (state == KnownResourceStates.Exited || state == KnownResourceStates.Finished)
        && previous != KnownResourceStates.Stopping
        && previous != KnownResourceStates.Exited
        && previous != KnownResourceStates.Finished
        && exitCode is not 0;

    private async Task RestartAsync(string name, string resourceId, int? exitCode, CancellationToken stoppingToken)
    {
        try
        {
            var backoff = _backoffs.GetOrAdd(resourceId, _ => new RestartBackoff(time));
            var delay = backoff.NextDelay();
            LogCrashed(logger, name, exitCode, delay);
            await Task.Delay(delay, time, stoppingToken);
            var result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, stoppingToken);
            backoff.Started();
            if (!result.Success)
            {
                LogRestartFailed(logger, name, result.Message);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping: nothing is restarted any more.
        }
        finally
        {
            _restarting.TryRemove(resourceId, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Resource} exited with code {ExitCode}; starting it again in {Delay}")]
    private static partial void LogCrashed(ILogger logger, string resource, int? exitCode, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Resource} could not be started again: {Reason}")]
    private static partial void LogRestartFailed(ILogger logger, string resource, string? reason);
}
