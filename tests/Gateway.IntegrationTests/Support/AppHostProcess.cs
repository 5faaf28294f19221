using System.Diagnostics;
using System.Reflection;

namespace Gateway.IntegrationTests.Support;

/// <summary>Runs the real AppHost executable (as <c>dotnet run</c> would, already built) for tests of its command line.</summary>
public sealed class AppHostProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();
    private readonly System.Text.StringBuilder _error = new();

    private AppHostProcess(Process process) => _process = process;

    public static string RepositoryRoot => Gateway.AppHost.RepositoryRoot.Path;

    /// <summary>The AppHost as built in the repository, in this test project's configuration (building the tests builds it).</summary>
    public static string Dll { get; } = Path.Combine(
        RepositoryRoot,
        "Gateway.AppHost",
        "bin",
        typeof(AppHostProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration,
        "net10.0",
        "Gateway.AppHost.dll");

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the AppHost to run the model as <c>./gateway up</c> does, but on free ports (services and dashboard)
    /// and without its launch profile, so it can run beside anything else on the machine.
    /// </summary>
    public static AppHostProcess StartRunning(params string[] args) => Start(
        new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = "http://127.0.0.1:0",
            ["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = "http://127.0.0.1:0",
            ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
        },
        ["--DcpPublisher:RandomizePorts=true", .. args]);

    public static AppHostProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    private static AppHostProcess Start(IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start };
        var host = new AppHostProcess(process);
        process.OutputDataReceived += (_, e) => Append(host._output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(host._error, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Waits for exit; a generous bound only so a hang fails the test instead of blocking the suite.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        await _process.WaitForExitAsync(timeout.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits until the standard output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The AppHost exited ({_process.ExitCode}) before printing '{text}':\n{Output}\n{Error}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), timeout.Token);
        }
    }

    /// <summary>SIGKILLs the AppHost alone, leaving its children to whatever cleanup it arranged.</summary>
    public void KillHostOnly()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>Kills whatever is left of the AppHost's process tree, so a failed test leaves nothing running.</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static void Append(System.Text.StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }
}
