using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.AppHost.Supervision;

/// <summary>
/// DCP reports a process that died (killed by the OOM killer, <c>kill -9</c>, a crash) as Exited or Finished and leaves
/// it so. For resources marked <see cref="RestartOnCrashAnnotation"/> this starts them again with the dashboard's own Start command, after a <see cref="RestartBackoff"/>. A process that exits
/// with code 0 (SIGTERM to a service), or after the Stopping state (the Stop command), was stopped on purpose and stays stopped.
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

    /// <summary>
    /// Resources seen Stopping since they last ran: stopped with the Stop command. Their exit code does not say so
    /// (DCP reports -1 for Garnet, which SIGTERM ends), so the Stopping state is what marks a stop as wanted.
    /// </summary>
    private readonly ConcurrentDictionary<string, byte> _stoppedOnPurpose = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var supervised = model.Resources.Where(r => r.Annotations.OfType<RestartOnCrashAnnotation>().Any()).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        await foreach (var update in notifications.WatchAsync(stoppingToken))
        {
            var state = update.Snapshot.State?.Text;
            if (state == KnownResourceStates.Stopping)
            {
                _stoppedOnPurpose.TryAdd(update.ResourceId, 0);
            }
            else if (state == KnownResourceStates.Starting || state == KnownResourceStates.Running)
            {
                _stoppedOnPurpose.TryRemove(update.ResourceId, out _);
            }

            if (supervised.Contains(update.Resource.Name)
                && IsCrash(update.Snapshot)
                && !_stoppedOnPurpose.ContainsKey(update.ResourceId)
                && _restarting.TryAdd(update.ResourceId, 0))
            {
                _ = RestartAsync(update.Resource.Name, update.ResourceId, update.Snapshot.ExitCode, stoppingToken);
            }
        }
    }

    private static bool IsCrash(CustomResourceSnapshot snapshot) =>
        snapshot.State?.Text is { } state
        && (state == KnownResourceStates.Exited || state == KnownResourceStates.Finished)
        && snapshot.ExitCode is not 0;

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
