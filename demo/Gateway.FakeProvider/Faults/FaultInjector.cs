namespace Gateway.FakeProvider.Faults;

/// <summary>
/// The fault in force, settable at run time (<c>/fake/fault</c> or a test's hands). Each <c>/v1/*</c> request takes
/// it once; a plan with a <see cref="FaultPlan.Count"/> reverts to none after that many matching requests.
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private FaultPlan _plan = FaultPlan.None;
    private int? _remaining;

    /// <summary>The plan in force (<see cref="FaultPlan.None"/> when cleared or used up).</summary>
    public FaultPlan Current
    {
        get
        {
            lock (_gate)
            {
                return _plan;
            }
        }
    }

    /// <summary>How many more matching requests the plan applies to; null for every one.</summary>
    public int? Remaining
    {
        get
        {
            lock (_gate)
            {
                return _remaining;
            }
        }
    }

    /// <summary>Puts <paramref name="plan"/> in force. Throws <see cref="ArgumentException"/> with every broken rule.</summary>
    public void Set(FaultPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var errors = plan.Errors();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(plan));
        }

        lock (_gate)
        {
            _plan = plan;
            _remaining = plan.Count;
        }
    }

    /// <summary>Answers normally from now on.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _plan = FaultPlan.None;
            _remaining = null;
        }
    }

    /// <summary>The plan for one request to <paramref name="path"/>, counting it against <see cref="FaultPlan.Count"/>.</summary>
    internal FaultPlan Take(PathString path)
    {
        lock (_gate)
        {
            if (_plan.Mode == FaultMode.None || !_plan.Applies(path))
            {
                return FaultPlan.None;
            }

            var plan = _plan;
            if (_remaining is { } remaining)
            {
                if (remaining <= 1)
                {
                    _plan = FaultPlan.None;
                    _remaining = null;
                }
                else
                {
                    _remaining = remaining - 1;
                }
            }

            return plan;
        }
    }
}
