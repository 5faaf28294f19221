namespace Gateway.AppHost.Orchestration;

/// <summary>A problem the user can fix (a missing install, a taken port): reported as its one-line message, never a stack trace.</summary>
public sealed class AppHostException : Exception
{
    public AppHostException(string message)
        : base(message)
    {
    }

    public AppHostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AppHostException()
    {
    }
}
