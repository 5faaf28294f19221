using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Gateway.Bench.Proxy;

/// <summary>The built proxy as its own process (as deployed), fronting one backend; its working set is sampled.</summary>
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

    public static async Task<GatewayProcess> StartAsync(string proxyDll, Uri backend)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { proxyDll },
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
                ["Gateway__Backends__0__Name"] = "fast",
                ["Gateway__Backends__0__Url"] = backend.ToString(),
                ["Gateway__Backends__0__Stateless"] = "true",
            },
        };
        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && ListeningOn().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value + "/mcp"));
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new GatewayProcess(process, await listening.Task.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    public void SampleWorkingSet()
    {
        _process.Refresh();
        PeakWorkingSet = Math.Max(PeakWorkingSet, _process.WorkingSet64);
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
