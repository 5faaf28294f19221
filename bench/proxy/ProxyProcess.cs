using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Gateway.Bench.Proxy;

/// <summary>
/// A proxy as its own process (as deployed), fronting one backend: the gateway, or any proxy that takes its backend
/// from <c>Gateway__Backends__0__Url</c> and prints "Now listening on: &lt;url&gt;" (YARP, the bare forwarder,
/// nginx). Its CPU time and resident set are read from <c>/proc</c>.
/// </summary>
internal sealed partial class ProxyProcess : IAsyncDisposable
{
    /// <summary>Linux's USER_HZ: <c>/proc/PID/stat</c> reports CPU times in ticks of 1/100 s on every mainstream kernel.</summary>
    private const double TicksPerSecond = 100;

    private readonly Process _process;

    private ProxyProcess(Process process, Uri url, bool isDotnet)
    {
        _process = process;
        Url = url;
        IsDotnet = isDotnet;
    }

    public Uri Url { get; }

    public int Pid => _process.Id;

    /// <summary>Whether the proxy is a .NET app (so its allocations can be sampled over its diagnostics socket).</summary>
    public bool IsDotnet { get; }

    public long PeakWorkingSet { get; private set; }

    /// <param name="program">A .dll (run under dotnet) or an executable (bench/proxy-nginx/nginx-forwarder.sh).</param>
    /// <param name="environment">Redis and bus connection strings (<c>ConnectionStrings__*</c>; none: standalone) and any other setting of the proxy's.</param>
    /// <param name="cpus">A <c>taskset</c> CPU list to pin the proxy to; null: unpinned.</param>
    public static async Task<ProxyProcess> StartAsync(string program, Uri backend, string spillDirectory,
        IReadOnlyDictionary<string, string> environment, string? cpus)
    {
        var isDll = program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        // taskset execs the proxy, so the process started here is the proxy itself (its CPU and memory are read by PID).
        var start = new ProcessStartInfo(cpus is not null ? "taskset" : isDll ? "dotnet" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(program)!,
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
        if (cpus is not null)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(cpus);
            start.ArgumentList.Add(isDll ? "dotnet" : program);
        }

        if (isDll)
        {
            start.ArgumentList.Add(program);
        }

        // As the AppHost runs every proxy replica.
        start.Environment[Gateway.AppHost.ProxyRuntime.Gen0SizeVariable] = Gateway.AppHost.ProxyRuntime.Gen0Size;
        foreach (var (name, value) in environment)
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
        return new ProxyProcess(process, await listening.Task.WaitAsync(TimeSpan.FromSeconds(60)), isDll);
    }

    /// <summary>User plus kernel CPU time the process has used so far (<c>utime</c> + <c>stime</c> of <c>/proc/PID/stat</c>).</summary>
    public TimeSpan CpuTime => ReadCpuTime(_process.Id);

    public static TimeSpan ReadCpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The fields after the command name, which is in parentheses and may contain spaces.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
            + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>
    /// Reads the resident set (what <see cref="Process.WorkingSet64"/> reports on Linux) from <c>/proc/PID/statm</c>,
    /// between measured runs: <see cref="Process.WorkingSet64"/> reads the stat file of every thread of the process,
    /// which slowed the calls of the next 10 ms when it was sampled during a run.
    /// </summary>
    public long SampleWorkingSet()
    {
        var statm = File.ReadAllText($"/proc/{_process.Id}/statm").AsSpan();
        var resident = statm[(statm.IndexOf(' ') + 1)..];
        var pages = long.Parse(resident[..resident.IndexOf(' ')], System.Globalization.CultureInfo.InvariantCulture);
        PeakWorkingSet = Math.Max(PeakWorkingSet, pages * Environment.SystemPageSize);
        return pages * Environment.SystemPageSize;
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
