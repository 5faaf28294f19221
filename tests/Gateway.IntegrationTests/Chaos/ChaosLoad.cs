using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Gateway.Testing;

namespace Gateway.IntegrationTests.Chaos;

/// <summary>What one HTTP request carrying a call got back.</summary>
public enum ChaosOutcome
{
    /// <summary>A JSON-RPC result: the call was answered.</summary>
    Result,

    /// <summary>A JSON-RPC error for this request: the call was refused with a protocol error.</summary>
    Error,

    /// <summary>No JSON-RPC response for this request (connection refused or cut, session gone): the client retries.</summary>
    NoAnswer,
}

/// <summary>
/// One attempt at one call: <paramref name="Marker"/> names the logical call, <paramref name="RequestId"/> (the marker
/// and the attempt number, the JSON-RPC id, hence the audit log's <c>requestId</c>) the attempt.
/// </summary>
public sealed record ChaosAttempt(int Client, string Marker, string RequestId, string Replica, ChaosOutcome Outcome, int? ErrorCode);

/// <summary>
/// A bounded stream of <c>tools/call</c> from several clients at once. Each client calls in turn, a few times a
/// second, on its home proxy replica; a call that gets no answer is retried on the other replica (then alternately,
/// a bounded number of times), each attempt with its own JSON-RPC id <c>marker.attempt</c>. Each client holds one MCP
/// session per replica and opens a new one when a replica no longer knows it (a restarted replica).
/// </summary>
public sealed class ChaosLoad : IAsyncDisposable
{
    /// <summary>Calls per client at most, so the stream is bounded whatever a fault does.</summary>
    public const int MaxCallsPerClient = 3000;

    private const int MaxAttempts = 8;
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(250);

    private readonly ChaosFixture _fixture;
    private readonly string _scenario;
    private readonly TimeSpan _pace;
    private readonly ConcurrentQueue<ChaosAttempt> _attempts = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _clients;

    private ChaosLoad(ChaosFixture fixture, string scenario, int clients, TimeSpan pace)
    {
        _fixture = fixture;
        _scenario = scenario;
        _pace = pace;
        _clients = [.. Enumerable.Range(0, clients).Select(client => Task.Run(() => RunClientAsync(client)))];
    }

    /// <summary>The request-id prefix of every call of <paramref name="scenario"/>.</summary>
    public static string Prefix(string scenario) => $"chaos-{scenario}-";

    /// <param name="pace">The pause between one client's calls (200 ms: a few calls a second per client).</param>
    public static ChaosLoad Start(ChaosFixture fixture, string scenario, int clients = 4, TimeSpan? pace = null) =>
        new(fixture, scenario, clients, pace ?? TimeSpan.FromMilliseconds(200));

    /// <summary>
    /// Waits until every client has had <paramref name="count"/> more calls answered with a result than when called:
    /// the system serves every client again (a bound turns a system that never recovers into a failure).
    /// </summary>
    public Task WaitForResultsAsync(int count) => WaitForAsync(a => a.Outcome == ChaosOutcome.Result, count, "answered");

    /// <summary>Waits until every client has had <paramref name="count"/> more attempts refused with <paramref name="code"/>.</summary>
    public Task WaitForRefusalsAsync(int code, int count) => WaitForAsync(a => a.ErrorCode == code, count, $"refused with {code}");

    private async Task WaitForAsync(Func<ChaosAttempt, bool> match, int count, string what)
    {
        int[] Counts()
        {
            var counts = new int[_clients.Length];
            foreach (var attempt in _attempts.Where(match))
            {
                counts[attempt.Client]++;
            }

            return counts;
        }

        var from = Counts();
        await Eventually.TrueAsync(
            () =>
            {
                if (_clients.FirstOrDefault(c => c.IsFaulted) is { } failed)
                {
                    throw new InvalidOperationException("A chaos client failed.", failed.Exception);
                }

                return Task.FromResult(Counts().Select((n, i) => n - from[i]).All(n => n >= count));
            },
            TimeSpan.FromMinutes(4),
            $"{count} more calls {what} for every client");
    }

    /// <summary>Stops the clients after the call each has in hand and returns every attempt.</summary>
    public async Task<IReadOnlyList<ChaosAttempt>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
        return [.. _attempts];
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await Task.WhenAll(_clients).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task RunClientAsync(int client)
    {
        var sessions = new McpHttpSession?[ChaosFixture.Proxies.Length];
        try
        {
            for (var call = 0; call < MaxCallsPerClient && !_stop.IsCancellationRequested; call++)
            {
                var marker = string.Create(CultureInfo.InvariantCulture, $"{Prefix(_scenario)}c{client}-{call:D4}");
                for (var attempt = 0; attempt < MaxAttempts; attempt++)
                {
                    var replica = (client + attempt) % sessions.Length;
                    var outcome = await AttemptAsync(sessions, client, replica, marker, attempt);
                    if (outcome != ChaosOutcome.NoAnswer)
                    {
                        break;
                    }

                    await Task.Delay(RetryPause);
                }

                await Task.Delay(_pace);
            }
        }
        finally
        {
            foreach (var session in sessions)
            {
                session?.Dispose();
            }
        }
    }

    private async Task<ChaosOutcome> AttemptAsync(McpHttpSession?[] sessions, int client, int replica, string marker, int attempt)
    {
        var requestId = string.Create(CultureInfo.InvariantCulture, $"{marker}.{attempt}");
        var name = ChaosFixture.Proxies[replica];
        var (outcome, code) = (ChaosOutcome.NoAnswer, (int?)null);
        try
        {
            if (sessions[replica] is null)
            {
                var opened = _fixture.Session(name);
                try
                {
                    await opened.InitializeAsync();
                }
                catch
                {
                    opened.Dispose();
                    throw;
                }

                sessions[replica] = opened;
            }

            var (status, answer) = await sessions[replica]!.SendAsync(requestId, "tools/call", new { name = ChaosFixture.Tool, arguments = new { message = marker } });
            if (answer is { } response && response.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() == requestId)
            {
                (outcome, code) = response.TryGetProperty("result", out _)
                    ? (ChaosOutcome.Result, (int?)null)
                    : (ChaosOutcome.Error, response.GetProperty("error").GetProperty("code").GetInt32());
            }
            else if (status is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
            {
                // The replica no longer knows the session (it was restarted): open a new one on the next attempt.
                sessions[replica]!.Dispose();
                sessions[replica] = null;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or IOException or InvalidOperationException)
        {
            // Refused, cut off or timed out: the replica is down or going down.
            sessions[replica]?.Dispose();
            sessions[replica] = null;
        }

        _attempts.Enqueue(new ChaosAttempt(client, marker, requestId, name, outcome, code));
        return outcome;
    }
}
