using System.Diagnostics;
using System.Text.Json;

namespace Gateway.Benchmarks.Tests;

/// <summary>Runs <c>bench/run SCENARIO --smoke</c> into a folder of its own and reads back the scenario's results file.</summary>
internal static class BenchRun
{
    /// <summary>A smoke run builds what it runs in Release first; on a busy 2-core machine that is most of the wait.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(20);

    public static async Task<JsonElement> SmokeAsync(string scenario)
    {
        var results = Directory.CreateTempSubdirectory($"bench-smoke-{scenario}-");
        try
        {
            var start = new ProcessStartInfo(Path.Combine(RepositoryRoot(), "bench", "run"))
            {
                ArgumentList = { scenario, "--smoke", "--results", results.FullName },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var bound = new CancellationTokenSource(Bound);
            try
            {
                await process.WaitForExitAsync(bound.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            Assert.True(process.ExitCode == 0, $"bench/run {scenario} --smoke exited with {process.ExitCode}:\n{await output}\n{await errors}");
            var json = Directory.GetFiles(results.FullName, $"*-{scenario}.json").Single();
            Assert.Single(Directory.GetFiles(results.FullName, $"*-{scenario}.md"));
            using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            var root = document.RootElement.Clone();
            Assert.True(root.GetProperty("smoke").GetBoolean());
            Assert.True(root.GetProperty("machine").GetProperty("cores").GetInt32() > 0);
            Assert.Contains(scenario, root.GetProperty("command").GetString(), StringComparison.Ordinal);
            return root.GetProperty("results");
        }
        finally
        {
            results.Delete(recursive: true);
        }
    }

    /// <summary>A number: a smoke run's figures say nothing, only that they were measured.</summary>
    public static double Number(JsonElement element) =>
        element.ValueKind == JsonValueKind.Number ? element.GetDouble() : throw new Xunit.Sdk.XunitException($"not a number: {element}");

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "bench", "run")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("bench/run not found above " + AppContext.BaseDirectory);
    }
}
