namespace Gateway.AuditService.Retention;

internal static class RetentionExtensions
{
    public static IHostApplicationBuilder AddAuditRetention(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>()
            .BindConfiguration(RetentionOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddHostedService<RetentionService>();
        return builder;
    }
}
