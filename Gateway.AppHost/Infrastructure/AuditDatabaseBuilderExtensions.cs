namespace Gateway.AppHost.Infrastructure;

public static class AuditDatabaseBuilderExtensions
{
    /// <summary>
    /// The audit database under <paramref name="name"/>. Locally a SQLite file in <paramref name="dataDirectory"/>,
    /// or a private PostgreSQL server when <c>AppHost:AuditDb=postgres</c>; when publishing, a PostgreSQL container
    /// with a database of that name.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddAuditDatabase(
        this IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.ExecutionContext.IsPublishMode)
        {
            return builder.AddPostgres($"{name}-server").AddDatabase(name, "audit");
        }

        return string.Equals(builder.Configuration["AppHost:AuditDb"], "postgres", StringComparison.OrdinalIgnoreCase)
            ? builder.AddPostgresServer(name, dataDirectory, "audit")
            : builder.AddConnectionString(name, ReferenceExpression.Create($"Data Source={Path.Combine(dataDirectory, "audit.db")}"));
    }
}
