using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.Bench.Llm;

/// <summary>
/// A built ASP.NET Core app (<c>dotnet X.dll</c>) as its own process on a free port, as deployed: the fake
/// provider, the gateway or the YARP forwarder. Its resident set and CPU time are read from <c>/proc</c>.
/// </summary>
internal sealed partial class ServiceProcess : IAsyncDisposable
{
    /// <summary>Linux's USER_HZ: <c>/proc/PID/stat</c> reports CPU times in ticks of 1/100 s.</summary>
    private const double TicksPerSecond = 100;

    private readonly Process _process;

    private ServiceProcess(string name, Process process, Uri url)
    {
        Name = name;
        _process = process;
        Url = url;
    }

    public string Name { get; }

    /// <summary>Its root, e.g. <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri Url { get; }

    public static async Task<ServiceProcess> StartAsync(string name, string dll, IReadOnlyDictionary<string, string> environment)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{name}: {dll} is not built (dotnet build bench/llm -c Release)", dll);
        }

        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            Environment =
            {
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
            },
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && ListeningOn().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value + "/"));
            }
        };
        // Its first error lines, to say why when it exits before listening.
        var errors = new ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null && errors.Count < 20)
            {
                errors.Enqueue(e.Data);
            }
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException(
            $"{name} exited with code {process.ExitCode} before listening: {string.Join(" | ", errors)}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            return new ServiceProcess(name, process, await listening.Task.WaitAsync(TimeSpan.FromSeconds(90)));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <c>VmRSS</c> of <c>/proc/PID/status</c>, in bytes: one small file of the process, not the stat file of every
    /// thread that <see cref="Process.WorkingSet64"/> reads (which slowed the proxy's calls after each sample).
    /// </summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kilobytes = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"no VmRSS for {Name}");
    }

    /// <summary>User plus kernel CPU time it has used so far (<c>utime</c> + <c>stime</c> of <c>/proc/PID/stat</c>).</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        // The fields after the command name, which is in parentheses and may contain spaces.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
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
