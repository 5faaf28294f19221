using System.Diagnostics;
using System.Text.Json;
using Gateway.Proxy.Tests.Fakes;

namespace Gateway.Proxy.Tests.Llm;

/// <summary>
/// bench/llm in its <c>--smoke</c> mode (seconds, tiny counts): the benchmark still builds, starts the fake provider,
/// the gateway and YARP, and produces every figure. Only that numbers came out is checked, never their values.
/// </summary>
public sealed class LlmBenchSmokeTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task The_llm_benchmark_smoke_run_produces_every_figure()
    {
        // Built here (incremental: quick when up to date), so a stale build never stands in for the current code.
        var build = await RunAsync("dotnet", ["build", Path.Combine(RepoPaths.Root, "bench", "llm", "LlmBench.csproj"), "-c", "Release", "--nologo", "-v", "q"]);
        Assert.True(build.ExitCode == 0, $"bench/llm build failed: {build.Output}");
        var results = Directory.CreateTempSubdirectory("llm-bench-smoke-test-");
        try
        {
            var dll = Path.Combine(RepoPaths.Root, "bench", "llm", "bin", "Release", "net10.0", "LlmBench.dll");
            var run = await RunAsync("dotnet", [dll, "--smoke", "--results", results.FullName]);
            Assert.True(run.ExitCode == 0, $"bench/llm --smoke exited with {run.ExitCode}: {run.Output}");

            var json = Assert.Single(results.GetFiles("*-llm.json"));
            Assert.Single(results.GetFiles("*-llm.md"));
            using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json.FullName));
            var root = document.RootElement;
            Assert.True(root.GetProperty("smoke").GetBoolean());
            Assert.True(root.GetProperty("machine").GetProperty("cores").GetInt32() > 0);
            var figures = root.GetProperty("results");
            foreach (var target in new[] { "direct", "gateway", "yarp" })
            {
                var firstEvent = figures.GetProperty("firstEventUs").GetProperty(target);
                Assert.True(firstEvent.GetProperty("count").GetInt64() > 0, $"{target}: no stream measured");
                Assert.Equal(0, firstEvent.GetProperty("errors").GetInt32());
                Assert.True(firstEvent.GetProperty("p99").GetInt64() > 0);
                Assert.True(figures.GetProperty("throughput").GetProperty(target).GetProperty("completed").GetInt64() > 0, $"{target}: no completion");
            }

            Assert.Equal(JsonValueKind.Number, figures.GetProperty("addedFirstEventUs").GetProperty("gateway").GetProperty("p99Us").ValueKind);
            Assert.True(figures.GetProperty("gatewayToYarpThroughput").GetDouble() > 0);
            var memory = figures.GetProperty("memory");
            Assert.True(memory.GetProperty("firstWindowMeanMiB").GetDouble() > 0);
            Assert.Equal(JsonValueKind.Number, memory.GetProperty("slopeKiBPer1000Requests").ValueKind);
        }
        finally
        {
            results.Delete(recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var hang = new CancellationTokenSource(Hang);
        try
        {
            await process.WaitForExitAsync(hang.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
