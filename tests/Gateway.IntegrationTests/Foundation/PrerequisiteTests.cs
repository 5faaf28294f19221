using Gateway.IntegrationTests.Support;

namespace Gateway.IntegrationTests.Foundation;

/// <summary>A machine without what the model needs gets one line saying what to install, and nothing starts.</summary>
public sealed class PrerequisiteTests
{
    [Theory]
    [InlineData("--AppHost:RabbitMQ:ServerPath=/nonexistent/rabbitmq-server", "error: RabbitMQ is not installed (/nonexistent/rabbitmq-server not found): run `sudo apt-get install -y rabbitmq-server`")]
    [InlineData("--AppHost:NodePath=/nonexistent/node", "error: Node.js is not installed (/nonexistent/node not found): run `sudo apt-get install -y nodejs npm`")]
    public async Task A_missing_prerequisite_is_one_line_saying_what_to_install_and_a_failed_exit(string setting, string line)
    {
        using var host = AppHostProcess.Start(setting);

        var exitCode = await host.WaitForExitAsync(TimeSpan.FromMinutes(2));

        Assert.NotEqual(0, exitCode);
        var error = Assert.Single(host.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(line, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", host.Output + host.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Starting DCP", host.Output, StringComparison.Ordinal);
    }
}
