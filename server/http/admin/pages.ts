/**
 * The dashboard's HTML: a login form, a 403 page and the shell the script fills. No inline
 * script or style (see DASHBOARD_CSP); URLs relative to /admin, so a path prefix works too.
 */

/** Mayfly's own origin only; no inline script or style. uPlot draws on a canvas and sizes it through the CSSOM, which the policy allows. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Where /admin/ is from the page's URL: `admin/` from /admin itself, `./` from /admin/login
 * (the answer to a failed sign-in).
 */
export type Root = 'admin/' | './';

const layout = (root: Root, title: string, body: string, script = false) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escape(title)}</title>
<link rel="stylesheet" href="${root}assets/dashboard.css">
</head>
<body>
${body}
${script ? `<script type="module" src="${root}assets/dashboard.js"></script>\n` : ''}</body>
</html>
`;

/** The sign-in form; `error` says why the last attempt failed. */
export function loginPage(root: Root, error?: string): string {
  return layout(
    root,
    'Mayfly · sign in',
    `<main class="login">
<h1><span class="logo">Mayfly</span> operator’s dashboard</h1>
<form method="post" action="${root}login" autocomplete="off">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" required minlength="1" maxlength="1024" autofocus autocomplete="current-password">
${error ? `<p class="error" role="alert">${escape(error)}</p>\n` : ''}<button type="submit">Sign in</button>
<p class="hint">The <code>ADMIN_TOKEN</code> the service was started with. It is kept for this browser session only.</p>
</form>
</main>`,
  );
}

/** ADMIN_TOKEN is unset: the dashboard, like the admin API, is off. */
export function forbiddenPage(root: Root): string {
  return layout(
    root,
    'Mayfly · dashboard off',
    `<main class="login">
<h1><span class="logo">Mayfly</span> operator’s dashboard</h1>
<p class="error" role="alert">The dashboard is off: this service has no <code>ADMIN_TOKEN</code>.</p>
<p class="hint">Start it with <code>ADMIN_TOKEN</code> set (at least 32 characters) to sign in here.</p>
</main>`,
  );
}

/** The signed-in page: the script draws the panels into it. */
export function dashboardPage(): string {
  return layout(
    'admin/',
    'Mayfly · dashboard',
    `<div id="app"><p class="loading">Loading…</p></div>
<noscript><p class="error">The dashboard needs JavaScript.</p></noscript>`,
    true,
  );
}
