using System.Diagnostics;
using System.Globalization;
using Gateway.Proxy.Backends;

namespace Gateway.Proxy.Tests.Backends;

/// <summary>Stdio backend children die with the proxy process, even when it is killed with SIGKILL.</summary>
public sealed class ChildProcessLauncherTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-launcher-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_child_started_by_the_launcher_keeps_the_command_pid_and_output()
    {
        using var launcher = new ChildProcessLauncher();
        var start = new ProcessStartInfo("sh") { ArgumentList = { "-c", "echo $$" }, RedirectStandardOutput = true };

        using var process = await launcher.StartAsync(start);
        var pid = int.Parse((await process.StandardOutput.ReadToEndAsync()).Trim(), CultureInfo.InvariantCulture);
        await process.WaitForExitAsync();

        Assert.Equal(process.Id, pid); // setpriv execs the command: the pid the proxy kills is the backend's
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task An_unknown_command_fails_to_start_as_with_Process_Start()
    {
        using var launcher = new ChildProcessLauncher();

        await Assert.ThrowsAsync<System.ComponentModel.Win32Exception>(
            () => launcher.StartAsync(new ProcessStartInfo("no-such-command-" + Guid.NewGuid().ToString("N"))));
    }

    [Fact]
    public async Task Stdio_backends_die_when_the_proxy_process_is_killed_with_sigkill()
    {
        var pidFile = Path.Combine(_directory, "child.pid");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Gateway.Proxy.dll") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                ["Gateway__Audit__SpillDirectory"] = Path.Combine(_directory, "spill"),
                ["Gateway__Backends__0__Name"] = "child",
                ["Gateway__Backends__0__Transport"] = "Stdio",
                ["Gateway__Backends__0__Command"] = "sh",
                ["Gateway__Backends__0__Args__0"] = "-c",
                ["Gateway__Backends__0__Args__1"] = $"echo $$ > {pidFile}.tmp && mv {pidFile}.tmp {pidFile}; exec sleep 300",
            },
        };
        using var proxy = Process.Start(start)!;
        proxy.OutputDataReceived += (_, _) => { };
        proxy.ErrorDataReceived += (_, _) => { };
        proxy.BeginOutputReadLine();
        proxy.BeginErrorReadLine();
        int child;
        try
        {
            // The catalog reads every backend at start, which starts the child.
            await WaitUntilAsync(() => File.Exists(pidFile));
            child = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
            Assert.False(IsDead(child));
        }
        finally
        {
            proxy.Kill(entireProcessTree: false); // SIGKILL to the proxy alone: it cannot clean up
            await proxy.WaitForExitAsync();
        }

        await WaitUntilAsync(() => IsDead(child));
    }

    /// <summary>Gone, or a zombie waiting for whichever process adopted it to reap it.</summary>
    private static bool IsDead(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return true;
        }
    }

    /// <summary>Polls <paramref name="condition"/>; the bound only turns a hang into a failure.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(50, bound.Token);
        }
    }
}
