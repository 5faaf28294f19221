using System.Net;
using System.Text;
using OpenIddict.Abstractions;

namespace Gateway.IdentityServer.Endpoints;

/// <summary>The sign-in form: it posts the authorization request's own parameters back with the user's name and password.</summary>
internal static class LoginPage
{
    public static string Render(HttpRequest http, OpenIddictRequest request, bool failed)
    {
        var fields = new StringBuilder();
        foreach (var (name, value) in request.GetParameters())
        {
            if (name is "username" or "password")
            {
                continue;
            }

            foreach (var item in (Microsoft.Extensions.Primitives.StringValues)value)
            {
                fields.Append("<input type=\"hidden\" name=\"").Append(WebUtility.HtmlEncode(name))
                    .Append("\" value=\"").Append(WebUtility.HtmlEncode(item)).Append("\">");
            }
        }

        return $"""
            <!doctype html><html><head><meta charset="utf-8"><title>Gateway sign-in</title></head><body>
            <h1>Sign in to the gateway</h1>
            <p>Client <b>{WebUtility.HtmlEncode(request.ClientId)}</b> asks for <b>{WebUtility.HtmlEncode(request.Scope)}</b>.</p>
            {(failed ? "<p style=\"color:#b00\">Wrong user name or password.</p>" : "")}
            <form method="post" action="{WebUtility.HtmlEncode(http.PathBase + http.Path)}">{fields}
            <label>User <input name="username" autocomplete="username"></label>
            <label>Password <input name="password" type="password" autocomplete="current-password"></label>
            <button type="submit">Sign in</button></form></body></html>
            """;
    }
}
