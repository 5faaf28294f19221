namespace Gateway.Proxy.Tests;

/// <summary>
/// Tests that assert on the spans the gateway starts (or does not start) register a process-wide ActivityListener,
/// and another test's host traces every <c>Gateway.*</c> source while it runs: this collection runs alone so
/// neither sees the other's listener.
/// </summary>
[CollectionDefinition(nameof(ProcessWideActivityListeners), DisableParallelization = true)]
public sealed class ProcessWideActivityListeners;
