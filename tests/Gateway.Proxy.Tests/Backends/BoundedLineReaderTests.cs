using System.Text;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Backends;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Proxy.Tests.Backends;

/// <summary>The line limit on stdio backends: a runaway child cannot make the gateway buffer an endless line.</summary>
public sealed class BoundedLineReaderTests
{
    [Fact]
    public async Task Reads_lines_up_to_the_limit_without_their_line_endings()
    {
        var reader = new BoundedLineReader(new MemoryStream("one\r\n\nfour\nlast"u8.ToArray()), maxBytes: 4);

        Assert.Equal("one", await ReadAsync(reader));
        Assert.Equal("", await ReadAsync(reader));
        Assert.Equal("four", await ReadAsync(reader));
        Assert.Equal("last", await ReadAsync(reader));
        Assert.Null(await reader.ReadLineAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_line_over_the_limit_throws_whether_or_not_its_newline_has_arrived()
    {
        var complete = new BoundedLineReader(new MemoryStream("12345\nok\n"u8.ToArray()), maxBytes: 4);
        var endless = new BoundedLineReader(new MemoryStream(new byte[100_000]), maxBytes: 1024);

        await Assert.ThrowsAsync<LineTooLongException>(() => complete.ReadLineAsync(CancellationToken.None).AsTask());
        Assert.Equal("ok", await ReadAsync(complete));
        await Assert.ThrowsAsync<LineTooLongException>(() => endless.ReadLineAsync(CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task A_stdio_backend_writing_an_overlong_line_fails_the_call_and_is_killed()
    {
        // Answers the first message with 100 kB and no newline, then would hang for a minute.
        var backend = new BackendOptions
        {
            Name = "runaway",
            Transport = BackendTransport.Stdio,
            Command = "sh",
            Args = ["-c", "read line; head -c 100000 /dev/zero | tr '\\000' a; sleep 60"],
        };
        using var launcher = new ChildProcessLauncher();
        await using var connection = new StdioBackendConnection(backend, null, default, TimeProvider.System, new BackendEvents(),
            NullLogger.Instance, maxLineBytes: 4096, launcher);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // a hang fails the test instead of blocking it

        var error = await Assert.ThrowsAsync<BackendException>(() => connection.RequestAsync("ping", default, null, bound.Token));

        Assert.Contains("over 4096 bytes", error.Message, StringComparison.Ordinal);
    }

    private static async Task<string?> ReadAsync(BoundedLineReader reader) =>
        await reader.ReadLineAsync(CancellationToken.None) is { } line ? Encoding.UTF8.GetString(line) : null;
}
