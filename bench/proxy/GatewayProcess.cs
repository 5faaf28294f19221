using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Gateway.Bench.Proxy;

/// <summary>
/// The built proxy as its own process (as deployed), fronting one backend; its working set is sampled. Any other
/// proxy that takes its backend from <c>Gateway__Backends__0__Url</c> and prints "Now listening on: &lt;url&gt;" can
/// run in its place (the floor forwarder, nginx).
/// </summary>
internal sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;

    private GatewayProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public long PeakWorkingSet { get; private set; }

    /// <param name="connectionStrings">Redis and bus connection strings (<c>ConnectionStrings__*</c>); none: standalone.</param>
    public static async Task<GatewayProcess> StartAsync(string proxyDll, Uri backend, string spillDirectory,
        IReadOnlyDictionary<string, string> connectionStrings)
    {
        // A .dll runs under dotnet; anything else (bench/proxy-nginx/nginx-forwarder.sh) is started as it is.
        var isDll = proxyDll.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(isDll ? "dotnet" : proxyDll)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(proxyDll)!,
            Environment =
            {
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
                ["Gateway__AnonymousClientId"] = "bench",
                // The bench client must be allowed to call and must not be rate limited: a refusal is answered by
                // the gateway without reaching the backend and would be measured as a (very fast) proxied call.
                ["Gateway__AnonymousRoles__0"] = "bench",
                ["Gateway__Roles__bench__Tools__0"] = "*",
                ["Gateway__RateLimits__ClientPerSecond"] = "1000000",
                ["Gateway__RateLimits__ClientBurst"] = "1000000",
                ["Gateway__RateLimits__ToolPerSecond"] = "1000000",
                ["Gateway__RateLimits__ToolBurst"] = "1000000",
                ["Gateway__Audit__SpillDirectory"] = spillDirectory,
                ["Gateway__Backends__0__Name"] = "fast",
                ["Gateway__Backends__0__Url"] = backend.ToString(),
                ["Gateway__Backends__0__Stateless"] = "true",
            },
        };
        if (isDll)
        {
            start.ArgumentList.Add(proxyDll);
        }

        // As the AppHost runs every proxy replica.
        start.Environment[Gateway.AppHost.ProxyRuntime.Gen0SizeVariable] = Gateway.AppHost.ProxyRuntime.Gen0Size;
        foreach (var (name, value) in connectionStrings)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && ListeningOn().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value + "/mcp"));
            }
        };
        // Its first error lines, to say why when it exits before listening (nginx not installed, say).
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null && errors.Count < 20)
            {
                errors.Enqueue(e.Data);
            }
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException(
            $"{start.FileName} exited with code {process.ExitCode} before listening: {string.Join(" | ", errors)}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new GatewayProcess(process, await listening.Task.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>User plus kernel CPU time the gateway process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>
    /// Reads the resident set (what <see cref="Process.WorkingSet64"/> reports on Linux) from <c>/proc/PID/statm</c>.
    /// Sampled every second during the fixed-rate phase, so it must not disturb the calls being measured:
    /// <see cref="Process.WorkingSet64"/> reads the stat file of every thread of the process, and the calls of the
    /// 10 ms after each sample were slower (median 1.34 ms instead of 0.44 for the first call after it, 63 of the 200
    /// calls of those 10 ms slower than 1 ms against 5 of 200 in the direct phase, which samples nothing), which
    /// lifted the gateway's p99 in earlier rounds.
    /// </summary>
    public void SampleWorkingSet()
    {
        var statm = File.ReadAllText($"/proc/{_process.Id}/statm").AsSpan();
        var resident = statm[(statm.IndexOf(' ') + 1)..];
        var pages = long.Parse(resident[..resident.IndexOf(' ')], System.Globalization.CultureInfo.InvariantCulture);
        PeakWorkingSet = Math.Max(PeakWorkingSet, pages * Environment.SystemPageSize);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();
}
