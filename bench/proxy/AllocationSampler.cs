using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace Gateway.Bench.Proxy;

/// <summary>
/// What a .NET process allocates while <c>work</c> runs, by type: the runtime's GC <c>AllocationTick</c> events, one per
/// about 100 KB allocated, each naming the type of the allocation that crossed the mark, over an EventPipe session on
/// the process's diagnostics socket. A sample, not a census: types allocated rarely may not appear, and the total is
/// exact to about 100 KB.
/// </summary>
internal static class AllocationSampler
{
    public static async Task<Dictionary<string, long>> SampleAsync(int pid, Func<Task> work)
    {
        var providers = new[]
        {
            new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, (long)ClrTraceEventParser.Keywords.GC),
        };
        var client = new DiagnosticsClient(pid);
        using var session = await client.StartEventPipeSessionAsync(providers, requestRundown: false, circularBufferMB: 64, CancellationToken.None);
        var bytes = new Dictionary<string, long>(StringComparer.Ordinal);
        using var source = new EventPipeEventSource(session.EventStream);
        source.Clr.GCAllocationTick += e =>
        {
            var type = e.TypeName ?? "?";
            bytes[type] = bytes.GetValueOrDefault(type) + e.AllocationAmount64;
        };
        var processing = Task.Run(source.Process);
        await work();
        await session.StopAsync(CancellationToken.None);
        await processing;
        return bytes;
    }
}
