/** The few HTML pages the IdP shows in a browser. Deliberately plain: no scripts, no assets. */

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;margin:.4rem 0}input,button{padding:.5rem}
.error{color:#a00}</style></head>
<body>${body}</body></html>`;
}

export function loginPage(options: {
  realm: string;
  clientId: string;
  action: string;
  username?: string;
  error?: string;
}): string {
  const error = options.error
    ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>`
    : '';
  const username = escapeHtml(options.username ?? '');
  return page(
    `Sign in to ${options.realm}`,
    `<h1>Sign in to ${escapeHtml(options.realm)}</h1>
<p>Client: ${escapeHtml(options.clientId)}</p>${error}
<form method="post" action="${escapeHtml(options.action)}">
<label for="username">Username or email</label>
<input id="username" name="username" autocomplete="username" autofocus value="${username}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Sign In</button>
</form>`,
  );
}

export function errorPage(error: string, description: string | undefined): string {
  return page(
    'Error',
    `<h1>We are sorry...</h1><p class="error">${escapeHtml(error)}</p>` +
      (description ? `<p>${escapeHtml(description)}</p>` : ''),
  );
}

/** `form` is oidc-provider's own hidden form (it carries the xsrf token). */
export function logoutPage(form: string): string {
  return page(
    'Logging out',
    `<h1>Do you want to log out?</h1>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Logout</button>`,
  );
}

export function loggedOutPage(): string {
  return page('Logged out', '<h1>You are logged out</h1>');
}
