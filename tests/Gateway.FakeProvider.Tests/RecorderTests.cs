using System.Net;
using Gateway.FakeProvider.Faults;
using Microsoft.Extensions.Time.Testing;
using static Gateway.FakeProvider.Tests.FakeHttp;

namespace Gateway.FakeProvider.Tests;

/// <summary>What the recorder tells a test about the requests that reached the provider.</summary>
public sealed class RecorderTests
{
    [Fact]
    public async Task The_recorder_keeps_method_path_every_header_and_the_raw_body()
    {
        await using var server = await FakeProviderServer.StartAsync();
        using var http = Client(server);
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat + "?trace=1") { Content = new StringContent("{ \"model\" : 1 }") };
        request.Headers.Authorization = new("Bearer", "client-key");
        request.Headers.Add("x-custom", ["one", "two"]);

        using var response = await http.SendAsync(request);

        var recorded = Assert.Single(server.Recorder.Requests);
        Assert.Equal("POST", recorded.Method);
        Assert.Equal(Chat, recorded.Path);
        Assert.Equal("?trace=1", recorded.QueryString);
        Assert.Equal("Bearer client-key", recorded.Headers["authorization"]);
        Assert.Equal("one, two", recorded.Headers["X-Custom"]);
        Assert.Equal("{ \"model\" : 1 }", recorded.Body);
        Assert.Equal(1, server.Recorder.CountOf(Chat));
    }

    [Fact]
    public async Task Control_requests_are_not_recorded()
    {
        await using var server = await FakeProviderServer.StartAsync();
        using var http = Client(server);

        using var fault = await http.GetAsync("/fake/fault");
        using var models = await http.GetAsync(Models);

        Assert.Equal(Models, Assert.Single(server.Recorder.Requests).Path);
    }

    [Fact]
    public async Task The_in_flight_maximum_counts_concurrent_requests_per_path()
    {
        var time = new FakeTimeProvider();
        await using var server = await FakeProviderServer.StartAsync(timeProvider: time);
        using var http = Client(server);
        using var first = await http.GetAsync(Models);
        using var second = await http.GetAsync(Models);
        var sequentialMaximum = server.Recorder.MaxInFlightOf(Models);
        server.Faults.Set(new FaultPlan { Mode = FaultMode.Latency, LatencyMs = 5_000, Paths = [Models] });

        var calls = Enumerable.Range(0, 3).Select(_ => http.GetAsync(Models)).ToArray();
        await FaultModeTests.WaitForAsync(() => server.Recorder.InFlightOf(Models) == 3);
        var all = Task.WhenAll(calls);
        await FaultModeTests.AdvanceUntilAsync(time, all, TimeSpan.FromSeconds(1));

        Assert.Equal(1, sequentialMaximum);
        Assert.Equal(3, server.Recorder.MaxInFlightOf(Models));
        Assert.Equal(0, server.Recorder.MaxInFlightOf(Chat));
        Assert.Equal(5, server.Recorder.CountOf(Models));
        Assert.All(await all, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
    }

    [Fact]
    public async Task Clearing_forgets_requests_counts_and_maxima()
    {
        await using var server = await FakeProviderServer.StartAsync();
        using var http = Client(server);
        using var before = await http.GetAsync(Models);

        server.Recorder.Clear();

        Assert.Empty(server.Recorder.Requests);
        Assert.Equal(0, server.Recorder.CountOf(Models));
        Assert.Equal(0, server.Recorder.MaxInFlightOf(Models));
    }

    [Fact]
    public async Task The_recorder_keeps_the_newest_requests_up_to_its_limit_and_counts_them_all()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeProviderOptions { RecordLimit = 2 });
        using var http = Client(server);

        for (var i = 0; i < 4; i++)
        {
            using var response = await http.GetAsync($"{Models}?n={i}");
        }

        Assert.Equal(["?n=2", "?n=3"], server.Recorder.Requests.Select(request => request.QueryString));
        Assert.Equal(4, server.Recorder.CountOf(Models));
    }
}
