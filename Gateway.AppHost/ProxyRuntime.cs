namespace Gateway.AppHost;

/// <summary>Runtime settings of every proxy replica that only the process environment can carry.</summary>
public static class ProxyRuntime
{
    public const string Gen0SizeVariable = "DOTNET_GCgen0size";

    /// <summary>
    /// A gen0 budget of 32 MB instead of the default (about 2 MB on a 2-core VM): at 1,000 calls/s the proxy ran seven
    /// gen0 collections a second, each pausing every call in flight (70 ms of pauses in 8 s, up to 8.6 ms), against one
    /// every two seconds with the larger budget (5.5 ms in 7 s) for about 30 MB more working set (bench/results/proxy-latency.md).
    /// </summary>
    public const string Gen0Size = "0x2000000";
}
