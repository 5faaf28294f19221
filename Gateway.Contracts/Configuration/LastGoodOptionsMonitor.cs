using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Gateway.Contracts.Configuration;

/// <summary>
/// An <see cref="IOptionsMonitor{TOptions}"/> that only ever serves options which passed validation. The framework's
/// monitor drops its cached value on a reload and rebuilds it through validation, so a bad reload leaves every reader
/// with an exception (and the change callback throws on the file watcher's thread). This one rebuilds on the same
/// change tokens but swaps the value in only when it validates: a rejected reload keeps the last good value, raises
/// no change callback, is logged with every error and stays visible in <see cref="LastRejection"/> until a good
/// reload replaces it. The first value has no last good one to fall back to, so an invalid one throws
/// <see cref="OptionsValidationException"/>: with ValidateOnStart the host refuses to start and says why.
/// </summary>
public sealed partial class LastGoodOptionsMonitor<TOptions> : IOptionsMonitor<TOptions>, IDisposable
    where TOptions : class
{
    private readonly IOptionsFactory<TOptions> _factory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, TOptions> _lastGood = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _registrations = [];
    private volatile OptionsReloadRejection? _lastRejection;

    private event Action<TOptions, string?>? Changed;

    public LastGoodOptionsMonitor(
        IOptionsFactory<TOptions> factory,
        IEnumerable<IOptionsChangeTokenSource<TOptions>> sources,
        TimeProvider time,
        ILogger<LastGoodOptionsMonitor<TOptions>> logger)
    {
        ArgumentNullException.ThrowIfNull(sources);
        _factory = factory;
        _time = time;
        _logger = logger;
        foreach (var source in sources)
        {
            _registrations.Add(ChangeToken.OnChange(source.GetChangeToken, Reload, source.Name ?? Options.DefaultName));
        }
    }

    /// <summary>The last reload that failed validation, or null when the last one (or the start) was good.</summary>
    public OptionsReloadRejection? LastRejection => _lastRejection;

    public TOptions CurrentValue => Get(Options.DefaultName);

    public TOptions Get(string? name) =>
        _lastGood.GetOrAdd(name ?? Options.DefaultName, static (key, factory) => factory.Create(key), _factory);

    public IDisposable? OnChange(Action<TOptions, string?> listener)
    {
        Changed += listener;
        return new Subscription(this, listener);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }

    private void Reload(string name)
    {
        TOptions options;
        try
        {
            options = _factory.Create(name);
        }
        catch (OptionsValidationException rejected)
        {
            _lastRejection = new OptionsReloadRejection(_time.GetUtcNow(), [.. rejected.Failures]);
            LogRejected(_logger, typeof(TOptions).Name, rejected.Failures.Count(), string.Join(Environment.NewLine, rejected.Failures));
            return;
        }

        _lastGood[name] = options;
        _lastRejection = null;
        Changed?.Invoke(options, name);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Rejected a reload of {Options}: kept the last good configuration. Fix these {Count} error(s):\n{Errors}")]
    private static partial void LogRejected(ILogger logger, string options, int count, string errors);

    private sealed class Subscription(LastGoodOptionsMonitor<TOptions> monitor, Action<TOptions, string?> listener) : IDisposable
    {
        public void Dispose() => monitor.Changed -= listener;
    }
}
