using Gateway.Proxy.Backends;

namespace Gateway.Proxy.Tests.Backends;

/// <summary>What a stdio backend inherits from the proxy's environment.</summary>
public sealed class ChildEnvironmentTests
{
    [Fact]
    public void The_proxys_gc_settings_stay_with_the_proxy_and_everything_else_is_inherited()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DOTNET_GCgen0size"] = "0x2000000",
            ["DOTNET_gcServer"] = "1",
            ["COMPlus_GCHeapHardLimit"] = "0x10000000",
            ["PATH"] = "/usr/bin",
            ["DOTNET_ROLL_FORWARD"] = "Major",
        };

        ChildEnvironment.Apply(environment, new Dictionary<string, string>());

        Assert.Equal(["DOTNET_ROLL_FORWARD", "PATH"], environment.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_setting_in_the_backends_own_env_wins_over_both_inheritance_and_removal()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal) { ["DOTNET_GCgen0size"] = "0x2000000", ["HOME"] = "/root" };

        ChildEnvironment.Apply(environment, new Dictionary<string, string> { ["DOTNET_GCgen0size"] = "0x4000000", ["HOME"] = "/srv" });

        Assert.Equal("0x4000000", environment["DOTNET_GCgen0size"]);
        Assert.Equal("/srv", environment["HOME"]);
    }
}
