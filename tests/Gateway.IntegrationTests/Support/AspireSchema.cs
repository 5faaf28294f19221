namespace Gateway.IntegrationTests.Support;

/// <summary>
/// The public Aspire 8.0 manifest schema: the project's shared copy (../shared/schemas, beside the repository) when
/// present, else the copy kept in the repository so a lone clone can run the manifest tests.
/// </summary>
internal static class AspireSchema
{
    public static string Path { get; } = new[]
    {
        System.IO.Path.Combine(AppHostProcess.RepositoryRoot, "..", "shared", "schemas", "aspire-8.0.json"),
        System.IO.Path.Combine(AppHostProcess.RepositoryRoot, "tests", "Gateway.IntegrationTests", "Foundation", "Schemas", "aspire-8.0.json"),
    }.First(File.Exists);
}
