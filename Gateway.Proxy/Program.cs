using Gateway.Proxy.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapAdminEndpoints();

app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in component tests.</summary>
public partial class Program;
