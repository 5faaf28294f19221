using Gateway.HealthMonitor.Monitoring;
using Microsoft.Extensions.Options;

namespace Gateway.HealthMonitor.Breakers;

/// <summary>Moves Open breakers to HalfOpen when their break ends; without it only an input would notice.</summary>
public sealed class BreakerClock(AuthoritativeBreakers breakers, IOptions<HealthMonitorOptions> options, TimeProvider timeProvider)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.TickInterval, timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            breakers.Tick();
        }
    }
}
