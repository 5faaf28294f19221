namespace Gateway.Proxy.Backends;

/// <summary>Backend happenings other components react to, without depending on the connections.</summary>
internal sealed class BackendEvents
{
    /// <summary>A backend sent <c>notifications/{tools,resources,prompts}/list_changed</c>; the argument is its name.</summary>
    public event Action<string>? ListChanged;

    public void OnListChanged(string backend) => ListChanged?.Invoke(backend);
}
