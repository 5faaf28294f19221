namespace Gateway.AppHost.Infrastructure;

/// <summary>
/// A private PostgreSQL server run by DCP from the machine's binaries, serving one database; its connection string
/// names that database, as a published PostgreSQL database resource's does.
/// </summary>
public sealed class PostgresServerResource(string name, string command, string workingDirectory, string databaseName)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";
    internal const string UserName = "postgres";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={UserName};Database={DatabaseName}");
}
