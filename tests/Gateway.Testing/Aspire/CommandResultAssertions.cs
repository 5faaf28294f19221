using Aspire.Hosting.ApplicationModel;

namespace Gateway.Testing.Aspire;

public static class CommandResultAssertions
{
    /// <summary>Fails with the command's own message when it did not succeed.</summary>
    public static async Task ShouldSucceed(this Task<ExecuteCommandResult> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var result = await command;
        if (!result.Success)
        {
            throw new InvalidOperationException($"The command failed: {result.Message}");
        }
    }
}
