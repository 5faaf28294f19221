using Gateway.ServiceDefaults.Authentication;

namespace Gateway.Proxy.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder, bool stdio = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddGatewayApiKeyAuthentication();
        builder.AddMcpGateway();
        builder.AddEnforcementPipeline();
        builder.AddCircuitBreakers();
        if (stdio)
        {
            builder.AddMcpStdio();
        }
    }
}
