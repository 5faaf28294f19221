using Gateway.FakeProvider;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddFakeProvider(builder.Configuration);

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapFakeProvider();

app.Run();
