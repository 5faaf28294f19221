using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Gateway.Proxy.Extensions;

/// <summary>
/// Runs socket completions, and Kestrel's request handling, on the I/O threads instead of handing each one to the
/// thread pool. A proxied call is a chain of short socket waits (client request, backend answer, client answer);
/// every hand-off wakes a pool thread, and those wake-ups, not the gateway's own code, were most of its CPU and of
/// its added latency (bench/results/proxy-latency.md). Safe here because nothing on the call path blocks a thread.
/// </summary>
internal static class InlineIoExtensions
{
    /// <summary>Read once by the runtime, when the process first uses a socket.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private static volatile bool s_setForThisProcess;

    /// <summary><c>Gateway:Proxy:InlineIo</c>, default true; false restores the framework's thread-pool dispatch.</summary>
    public const string SettingName = "Gateway:Proxy:InlineIo";

    public static IHostApplicationBuilder AddInlineIo(this IHostApplicationBuilder builder)
    {
        if (!builder.Configuration.GetValue(SettingName, defaultValue: true))
        {
            return builder;
        }

        // No socket exists before the host is built, so the runtime has not read the variable yet; an explicit
        // value in the environment wins.
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
            s_setForThisProcess = true;
        }

        builder.Services.Configure<SocketTransportOptions>(options => options.UnsafePreferInlineScheduling = true);
        return builder;
    }

    /// <summary>
    /// Takes out of a child process's environment the setting this process made for itself, so that stdio backends
    /// (which inherit the proxy's environment) keep the runtime's default dispatch unless their own configuration
    /// or the operator's environment says otherwise.
    /// </summary>
    public static void RemoveFromChildEnvironment(IDictionary<string, string?> childEnvironment)
    {
        ArgumentNullException.ThrowIfNull(childEnvironment);
        if (s_setForThisProcess)
        {
            childEnvironment.Remove(InlineCompletionsVariable);
        }
    }
}
