namespace Gateway.AppHost.Supervision;

/// <summary>Marks a resource that <see cref="CrashRestarter"/> starts again when its process exits on its own with a failure.</summary>
public sealed class RestartOnCrashAnnotation : IResourceAnnotation;
