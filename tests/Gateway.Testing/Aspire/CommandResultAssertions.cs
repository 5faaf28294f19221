using Aspire.Hosting.ApplicationModel;

namespace Gateway.Testing.Aspire;

public static class CommandResultAssertions
{
    /// <summary>Fails with the command's own message when it did not succeed.</summary>
    public static async Task ShouldSucceed(this Task<ExecuteCommandResult> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var result = await command;
        Xunit.Assert.True(result.Success, $"the command failed: {result.Message}");
    }
}
