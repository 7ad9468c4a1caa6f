// HTML for the interaction pages. Everything echoed into a page goes through escapeHtml.

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f4f7;margin:0;padding:48px 16px}
main{max-width:360px;margin:0 auto;background:#fff;border-radius:8px;padding:24px 32px;
box-shadow:0 1px 3px rgba(0,0,0,.2)}h1{font-size:1.5em;margin-top:0}label{display:block;
margin:12px 0 4px}input{width:100%;box-sizing:border-box;padding:8px;font-size:1em}
button{margin-top:16px;padding:8px 16px;font-size:1em;cursor:pointer}.primary{width:100%}
.error{color:#b00020;font-weight:600}.note{color:#555;font-size:.9em}.secondary{margin-top:0}`;

export function escapeHtml(value) {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export function layout(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

function errorBlock(error) {
  return error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '';
}

function contextBlock({ clientName, directSignIn }) {
  let html = `<p class="note">to continue to ${escapeHtml(clientName)}</p>`;
  if (directSignIn) {
    // Shown only when the page is the fallback: a direct sign-in that was possible skips it.
    html += `<p class="note" data-testid="direct-sign-in">Direct sign-in requested: `
      + `<code>${escapeHtml(directSignIn)}</code>, but there is no such connector here. `
      + 'Sign in another way.</p>';
  }
  return html;
}

/** Logto lists the enabled social connectors under the form: "Continue with <name>". */
function socialBlock(uid, socialConnectors = []) {
  if (!socialConnectors.length) return '';
  const buttons = socialConnectors.map(({ id, name }) => `<form method="post" action="/social/${escapeHtml(encodeURIComponent(id))}">
<input type="hidden" name="uid" value="${escapeHtml(uid)}">
<button type="submit" class="primary" data-connector-id="${escapeHtml(id)}">Continue with ${escapeHtml(name)}</button>
</form>`).join('\n');
  return `<p class="note">or</p>\n${buttons}`;
}

function cancelForm(uid) {
  return `<form method="post" action="/cancel">
<input type="hidden" name="uid" value="${escapeHtml(uid)}">
<button type="submit" class="secondary">Cancel</button>
</form>`;
}

/** The username/password form, for signing in or for creating an account (the two differ only
 *  in the words, where the form posts, and the password's autocomplete hint). */
function credentialsPage({
  title, action, newPassword, note,
}, {
  uid, clientName, directSignIn, socialConnectors, username = '', error = '',
}) {
  return layout(title, `<h1>${title}</h1>
${contextBlock({ clientName, directSignIn })}
${errorBlock(error)}
<form method="post" action="${action}" autocomplete="on">
<input type="hidden" name="uid" value="${escapeHtml(uid)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" required autofocus value="${escapeHtml(username)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="${newPassword ? 'new-password' : 'current-password'}" required>
<button type="submit" class="primary">${title}</button>
</form>
${socialBlock(uid, socialConnectors)}
${cancelForm(uid)}
<p class="note">${note}</p>`);
}

/** The sign-in form. */
export function signInPage(view) {
  return credentialsPage({
    title: 'Sign in', action: '/sign-in', newPassword: false,
    note: 'No account? <a href="/register">Create account</a>',
  }, view);
}

/** The sign-up form (Logto's `interaction_mode=signUp` / `first_screen=register`). */
export function registerPage(view) {
  return credentialsPage({
    title: 'Create account', action: '/register', newPassword: true,
    note: 'Already have an account? <a href="/sign-in">Sign in instead</a>',
  }, view);
}

/** Shown when the interaction cookie is gone: expired, finished, or another browser. */
export function expiredPage() {
  return layout('Sign-in expired', `<h1>This sign-in has expired</h1>
<p>Go back to the app and start signing in again.</p>`);
}

/**
 * RP-initiated logout: oidc-provider hands us its confirm form; like Logto's logout.html we
 * submit it at once with logout=yes, so signing out never waits for a click.
 */
export function logoutPage(form) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Signing out</title>
</head>
<body onload="document.getElementById('op.logoutForm').submit();">
${form}
<input type="hidden" form="op.logoutForm" name="logout" value="yes">
<noscript><button type="submit" form="op.logoutForm">Sign out</button></noscript>
</body>
</html>`;
}

/** Shown after sign-out when no (registered) post_logout_redirect_uri was given. */
export function signedOutPage() {
  return layout('Signed out', `<h1>Signed out</h1>
<p>You have been signed out. You can close this window.</p>`);
}

export function indexPage(info) {
  return layout('Local IdP', `<h1>Local Logto-compatible IdP</h1>
<p>Issuer: <code>${escapeHtml(info.issuer)}</code></p>
<p>Discovery: <a href="${escapeHtml(info.issuer)}/.well-known/openid-configuration">openid-configuration</a></p>`);
}
