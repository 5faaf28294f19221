using System.Text.Json;
using Gateway.IntegrationTests.Support;

namespace Gateway.IntegrationTests.Foundation;

/// <summary>Aspire's own manifest publisher, as azd calls it, on the AppHost's model.</summary>
public sealed class ManifestTests : IDisposable
{
    private readonly TemporaryDirectory _output = new();

    private string ManifestPath => Path.Combine(_output.Path, "aspire-manifest.json");

    [Fact]
    public async Task The_published_manifest_validates_against_the_aspire_schema()
    {
        await PublishAsync();
        var ajv = Path.Combine(AppHostProcess.RepositoryRoot, "peers", "node_modules", "ajv-cli", "dist", "index.js");

        var (exitCode, output) = await CommandLine.RunAsync(
            "node",
            [ajv, "validate", "--spec=draft7", "--strict=false", "-c", "ajv-formats", "-s", AspireSchema.Path, "-d", ManifestPath],
            Path.Combine(AppHostProcess.RepositoryRoot, "peers"));

        Assert.True(exitCode == 0, output);
        Assert.Contains("valid", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_manifest_names_every_service_project_and_infrastructure_as_containers()
    {
        await PublishAsync();
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(ManifestPath));
        var resources = manifest.RootElement.GetProperty("resources");

        foreach (var service in new[] { "proxy", "healthmonitor", "audit" })
        {
            var project = resources.GetProperty(service);
            Assert.Equal("project.v0", project.GetProperty("type").GetString());
            var path = Path.GetFullPath(Path.Combine(_output.Path, project.GetProperty("path").GetString()!));
            Assert.True(File.Exists(path), $"{service}: {path} does not exist");
        }

        Assert.Equal("container.v0", resources.GetProperty("redis").GetProperty("type").GetString());
        Assert.Equal("container.v0", resources.GetProperty("messaging").GetProperty("type").GetString());
        Assert.Equal("parameter.v0", resources.GetProperty("messaging-password").GetProperty("type").GetString());
        Assert.True(resources.GetProperty("admin-key-sha256").GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        var proxy = resources.GetProperty("proxy").GetProperty("env");
        Assert.Equal("{redis.connectionString}", proxy.GetProperty("ConnectionStrings__redis").GetString());
        Assert.Equal("{messaging.connectionString}", proxy.GetProperty("ConnectionStrings__messaging").GetString());
        Assert.Equal("0x2000000", proxy.GetProperty("DOTNET_GCgen0size").GetString());
        Assert.False(resources.TryGetProperty("everything", out _), "demo backends are local only");
        Assert.False(resources.TryGetProperty("everything-circuit", out _), "the dashboard's gateway state is local only");
        Assert.False(resources.TryGetProperty("llm-primary", out _), "demo providers are local only");
        Assert.False(resources.TryGetProperty("llm-primary-circuit", out _), "the dashboard's gateway state is local only");
        // The deployment's providers have real keys: asked for, never generated.
        var llmApiKey = resources.GetProperty("llm-api-key").GetProperty("inputs").GetProperty("value");
        Assert.True(llmApiKey.GetProperty("secret").GetBoolean());
        Assert.False(llmApiKey.TryGetProperty("default", out _), "a provider key is never generated at deployment");
        Assert.Equal("{llm-api-key.value}", proxy.GetProperty("LLM_API_KEY").GetString());
        Assert.Equal("{llm-api-key.value}", resources.GetProperty("healthmonitor").GetProperty("env").GetProperty("LLM_API_KEY").GetString());
    }

    public void Dispose() => _output.Dispose();

    private async Task PublishAsync()
    {
        // As azd calls it: the publisher arguments straight after the project.
        using var host = AppHostProcess.Start("--publisher", "manifest", "--output-path", ManifestPath);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromMinutes(2)));
    }
}
