using System.Text.Json;
using Gateway.AppHost.Hosting;
using Gateway.IntegrationTests.Support;

namespace Gateway.IntegrationTests.Foundation;

public sealed class ManifestTests : IDisposable
{
    private readonly TemporaryDirectory _output = new();

    private string ManifestPath => Path.Combine(_output.Path, "aspire-manifest.json");

    [Fact]
    public async Task The_published_manifest_validates_against_the_aspire_schema()
    {
        await PublishAsync();
        // A copy of the public Aspire 8.0 manifest schema, kept in the repository so a plain clone can run this test.
        var schema = Path.Combine(AppHostProcess.RepositoryRoot, "tests", "Gateway.IntegrationTests", "Foundation", "Schemas", "aspire-8.0.json");
        var ajv = Path.Combine(AppHostProcess.RepositoryRoot, "peers", "node_modules", "ajv-cli", "dist", "index.js");

        var result = await CommandRunner.RunAsync(
            "node",
            [ajv, "validate", "--spec=draft7", "--strict=false", "-c", "ajv-formats", "-s", schema, "-d", ManifestPath],
            TimeSpan.FromMinutes(1),
            workingDirectory: Path.Combine(AppHostProcess.RepositoryRoot, "peers"));

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("valid", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_manifest_describes_services_as_projects_that_exist_and_infrastructure_as_containers()
    {
        await PublishAsync();
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(ManifestPath));
        var resources = manifest.RootElement.GetProperty("resources");

        foreach (var service in new[] { "proxy", "healthmonitor", "audit" })
        {
            var project = resources.GetProperty(service);
            Assert.Equal("project.v0", project.GetProperty("type").GetString());
            var path = Path.Combine(_output.Path, project.GetProperty("path").GetString()!);
            Assert.True(File.Exists(path), $"{service}: {path} does not exist");
        }

        Assert.Equal("container.v0", resources.GetProperty("redis").GetProperty("type").GetString());
        Assert.Equal("container.v0", resources.GetProperty("messaging").GetProperty("type").GetString());
        Assert.Equal("parameter.v0", resources.GetProperty("messaging-password").GetProperty("type").GetString());
        Assert.True(resources.GetProperty("admin-key-sha256").GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        var proxyEnvironment = resources.GetProperty("proxy").GetProperty("env");
        Assert.Equal("{redis.connectionString}", proxyEnvironment.GetProperty("ConnectionStrings__redis").GetString());
        Assert.Equal("{messaging.connectionString}", proxyEnvironment.GetProperty("ConnectionStrings__messaging").GetString());
        Assert.Equal("{healthmonitor.bindings.http.url}", proxyEnvironment.GetProperty("services__healthmonitor__http__0").GetString());
        // Runtime settings only the environment can carry travel with the deployment.
        Assert.Equal("0x2000000", proxyEnvironment.GetProperty("DOTNET_GCgen0size").GetString());
        Assert.True(resources.GetProperty("proxy").GetProperty("bindings").GetProperty("http").GetProperty("external").GetBoolean());
        Assert.False(resources.TryGetProperty("everything", out _), "demo backends are local only");
    }

    public void Dispose() => _output.Dispose();

    private async Task PublishAsync()
    {
        // As azd calls it: the publisher arguments straight after the project, no "--".
        using var host = AppHostProcess.Start("--publisher", "manifest", "--output-path", ManifestPath);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromMinutes(1)));
    }
}
