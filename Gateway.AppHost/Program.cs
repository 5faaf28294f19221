using Gateway.AppHost;
using Gateway.AppHost.Hosting;
using Microsoft.Extensions.Logging;

var builder = DistributedApplication.CreateBuilder(args);
builder.LoggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(console =>
{
    console.SingleLine = true;
    console.TimestampFormat = "HH:mm:ss ";
}));

GatewayAppModel.Define(builder);

await using var app = builder.Build();
return await app.RunAsync();
