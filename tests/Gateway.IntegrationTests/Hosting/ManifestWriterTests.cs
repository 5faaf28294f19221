using System.Text.Json;
using Gateway.AppHost.Publishing;
using Gateway.AppHost.Testing;

namespace Gateway.IntegrationTests.Hosting;

public sealed class ManifestWriterTests
{
    [Fact]
    public void Project_paths_are_relative_to_the_manifest_folder()
    {
        var builder = GatewayTestingBuilder.Create();
        var manifestDirectory = Path.Combine(builder.Application.RepositoryRoot, "deploy", "azure");

        using var manifest = JsonDocument.Parse(ManifestWriter.Write(builder.Application.Resources.Select(r => r.Resource), manifestDirectory));

        var proxy = manifest.RootElement.GetProperty("resources").GetProperty("proxy");
        Assert.Equal("../../Gateway.Proxy/Gateway.Proxy.csproj", proxy.GetProperty("path").GetString());
        Assert.Equal(ManifestWriter.SchemaUrl, manifest.RootElement.GetProperty("$schema").GetString());
    }

    [Fact]
    public void Secrets_become_parameters_referenced_by_placeholder_never_values()
    {
        var builder = GatewayTestingBuilder.Create();

        var text = ManifestWriter.Write(builder.Application.Resources.Select(r => r.Resource), builder.Application.RepositoryRoot);
        using var manifest = JsonDocument.Parse(text);

        var resources = manifest.RootElement.GetProperty("resources");
        var password = resources.GetProperty("messaging-password");
        Assert.Equal("{messaging-password.inputs.value}", password.GetProperty("value").GetString());
        Assert.Equal(22, password.GetProperty("inputs").GetProperty("value").GetProperty("default").GetProperty("generate").GetProperty("minLength").GetInt32());
        Assert.Contains("{messaging-password.value}", resources.GetProperty("messaging").GetProperty("connectionString").GetString(), StringComparison.Ordinal);
        Assert.Equal("{admin-key-sha256.value}", resources.GetProperty("proxy").GetProperty("env").GetProperty("Gateway__Clients__0__KeySha256").GetString());
        Assert.DoesNotContain(builder.AdminApiKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayConfigFileHash(builder), text, StringComparison.Ordinal);
    }

    private static string GatewayConfigFileHash(GatewayTestingBuilder builder) =>
        Gateway.AppHost.Resources.GatewayConfigFile.Sha256Hex(builder.AdminApiKey);
}
