// The upstream "social" OAuth 2.0 provider behind the local IdP's OAuth2 social connector: what
// GitHub or any other vendor is to a real Logto. It serves the authorization-code grant only
// (RFC 6749 4.1) for one confidential client, with a userinfo API whose fields are NOT standard
// claim names (`user_id`, `display_name`, `avatar_url`, `mail`, and a nested `data.user` copy),
// which is exactly what Logto's `profileMap` exists for.
//
// Why hand-written and not a second oidc-provider: oidc-provider is an OpenID Provider. Its token
// endpoint only answers JSON, while Logto's OAuth2 connector defaults to (and must be tested
// with) `tokenEndpointResponseType: "query-string"` (GitHub's form-encoded token response); and
// its userinfo endpoint serves standard claims keyed by `sub`. A vendor-style OAuth 2.0 server is
// small enough to write correctly here: exact redirect URI match, single-use codes bound to the
// client and redirect URI with a short lifetime, `state` echoed, client authentication by exactly
// the registered method (client_secret_post, client_secret_basic per RFC 6749 2.3.1, or
// client_secret_jwt per RFC 7523 2.2 / OIDC Core 9), Bearer access tokens (RFC 6750).

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

import { escapeHtml, layout } from './pages.mjs';
import { readForm, redirect, send } from './respond.mjs';

export const AUTHORIZE_PATH = '/oauth/authorize';
export const TOKEN_PATH = '/oauth/token';
export const USERINFO_PATH = '/api/user';
export const AUTH_METHODS = ['client_secret_post', 'client_secret_basic', 'client_secret_jwt'];
const JWT_ALGS = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
const SCOPES = ['profile', 'email'];
const CODE_TTL_MS = 60_000;
const REQUEST_TTL_MS = 10 * 60_000;
const TOKEN_TTL_S = 3600;

/** The upstream's accounts. Profiles deliberately use vendor-style, non-standard field names. */
export const UPSTREAM_USERS = [
  {
    username: 'octo',
    password: 'octo-password',
    profile: {
      user_id: 4242, // a number: Logto's connector turns it into the string "4242"
      login: 'octo',
      display_name: 'Octo Upstream',
      avatar_url: 'https://avatars.upstream.test/octo.png',
      mail: 'octo@upstream.test',
      phone_number: '+15555550100',
      data: {
        user: {
          id: 'nested-4242',
          profile: { name: 'Octo Nested', avatar: { url: 'https://avatars.upstream.test/octo-nested.png' } },
          contact: { email: 'octo.nested@upstream.test', phone: '+15555550199' },
        },
      },
    },
  },
  {
    // Only an ID: name, avatar and email stay empty in Logto.
    username: 'plain',
    password: 'plain-password',
    profile: { user_id: 7, login: 'plain', data: { user: { id: 'nested-7' } } },
  },
];

/** Fields only served with the `email` scope (the way GitHub wants `user:email`). */
function visibleProfile(profile, scopes) {
  const result = structuredClone(profile);
  if (!scopes.includes('email')) {
    delete result.mail;
    delete result.phone_number;
    if (result.data?.user) delete result.data.user.contact;
  }
  return result;
}

function token() {
  return randomBytes(32).toString('base64url');
}

function sameSecret(a, b) {
  const left = Buffer.from(String(a));
  const right = Buffer.from(String(b));
  return left.length === right.length && timingSafeEqual(left, right);
}

/** RFC 6749 2.3.1: client_id and client_secret are form-urlencoded before Basic encoding. */
function parseBasic(header) {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/iu.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unescape = (value) => decodeURIComponent(value.replaceAll('+', ' '));
  try {
    return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

function loginPage({ requestId, clientName, scopes, extras, username = '', error = '' }) {
  const extraList = Object.entries(extras)
    .map(([key, value]) => `<li><code>${escapeHtml(key)}=${escapeHtml(value)}</code></li>`)
    .join('');
  return layout('Sign in to Upstream', `<h1>Upstream OAuth 2.0 provider</h1>
<p class="note">${escapeHtml(clientName)} wants to read your profile${scopes.includes('email') ? ' and email address' : ''}.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
${extraList ? `<p class="note">Extra parameters:</p><ul class="note" data-testid="extra-params">${extraList}</ul>` : ''}
<form method="post" action="${AUTHORIZE_PATH}" autocomplete="on">
<input type="hidden" name="request" value="${escapeHtml(requestId)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" autofocus value="${escapeHtml(username)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit" name="action" value="allow" class="primary">Sign in</button>
<button type="submit" name="action" value="deny" formnovalidate>Deny</button>
</form>`);
}

function errorPage(message) {
  return layout('Upstream error', `<h1>The request was refused</h1>
<p class="error" role="alert">${escapeHtml(message)}</p>`);
}

/**
 * Starts the upstream provider on 127.0.0.1.
 *
 * @param {object} options
 * @param {{clientId:string, clientSecret:string, tokenEndpointAuthMethod:string,
 *   clientSecretJwtSigningAlgorithm:string, tokenResponseType:'json'|'query-string',
 *   redirectUris:string[], port:number}} options.client the one registered client
 * @returns {Promise<{endpoint:string, close:() => void}>}
 */
export async function startUpstream({ client, port = 0 }) {
  const requests = new Map(); // request id -> pending authorization request
  const codes = new Map(); // code -> { clientId, redirectUri, username, scopes, expiresAt }
  const accessTokens = new Map(); // token -> { username, scopes, expiresAt }
  const usedAssertions = new Map(); // jti -> expiresAt (RFC 7523 3: a JWT is used once)
  let endpoint;

  function sweep() {
    const now = Date.now();
    for (const map of [requests, codes, accessTokens]) {
      for (const [key, value] of map) if (value.expiresAt <= now) map.delete(key);
    }
    for (const [jti, expiresAt] of usedAssertions) if (expiresAt <= now) usedAssertions.delete(jti);
  }

  function tokenResponse(res, status, body, headers = {}) {
    // GitHub-style providers answer form-encoded unless configured (or asked) for JSON.
    if (client.tokenResponseType === 'query-string') {
      send(res, status, new URLSearchParams(body).toString(), 'application/x-www-form-urlencoded', headers);
    } else {
      send(res, status, JSON.stringify(body), 'application/json', headers);
    }
  }

  function tokenError(res, status, error, description) {
    const headers = status === 401 ? { 'WWW-Authenticate': 'Basic realm="upstream"' } : {};
    tokenResponse(res, status, { error, error_description: description }, headers);
  }

  /** RFC 7523 2.2 with an HMAC key (OIDC Core 9 client_secret_jwt). Returns an error or ''. */
  function checkClientAssertion(assertion, tokenEndpoint) {
    const parts = String(assertion).split('.');
    if (parts.length !== 3) return 'client_assertion is not a JWT';
    let header;
    let claims;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return 'client_assertion is not a JWT';
    }
    if (header.alg !== client.clientSecretJwtSigningAlgorithm) {
      return `client_assertion must be signed with ${client.clientSecretJwtSigningAlgorithm}`;
    }
    const expected = createHmac(JWT_ALGS[header.alg], client.clientSecret)
      .update(`${parts[0]}.${parts[1]}`)
      .digest();
    const given = Buffer.from(parts[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return 'client_assertion signature is invalid';
    }
    const now = Math.floor(Date.now() / 1000);
    if (claims.iss !== client.clientId || claims.sub !== client.clientId) return 'client_assertion iss/sub must be the client_id';
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(tokenEndpoint)) return 'client_assertion aud must be the token endpoint';
    if (typeof claims.exp !== 'number' || claims.exp <= now) return 'client_assertion has expired';
    if (typeof claims.jti !== 'string' || usedAssertions.has(claims.jti)) return 'client_assertion jti is missing or was used before';
    usedAssertions.set(claims.jti, claims.exp * 1000);
    return '';
  }

  /** The authenticated client_id, or undefined after answering invalid_client. */
  function authenticateClient(req, res, form) {
    const method = client.tokenEndpointAuthMethod;
    const basic = parseBasic(req.headers.authorization);
    const used = [
      basic && 'client_secret_basic',
      form.has('client_secret') && 'client_secret_post',
      form.has('client_assertion') && 'client_secret_jwt',
    ].filter(Boolean);
    // RFC 6749 2.3: a client MUST NOT use more than one authentication method per request.
    if (used.length > 1) {
      tokenError(res, 400, 'invalid_request', `more than one client authentication method used (${used.join(', ')})`);
      return undefined;
    }
    if (used[0] !== method) {
      tokenError(res, 401, 'invalid_client', `this client is registered for ${method}, not ${used[0] ?? 'no authentication'}`);
      return undefined;
    }
    let clientId;
    if (method === 'client_secret_basic') {
      if (basic.id !== client.clientId || !sameSecret(basic.secret, client.clientSecret)) {
        tokenError(res, 401, 'invalid_client', 'client authentication failed');
        return undefined;
      }
      clientId = basic.id;
    } else if (method === 'client_secret_post') {
      if (form.get('client_id') !== client.clientId || !sameSecret(form.get('client_secret'), client.clientSecret)) {
        tokenError(res, 401, 'invalid_client', 'client authentication failed');
        return undefined;
      }
      clientId = client.clientId;
    } else {
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        tokenError(res, 401, 'invalid_client', 'client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        return undefined;
      }
      const problem = checkClientAssertion(form.get('client_assertion'), `${endpoint}${TOKEN_PATH}`);
      if (problem) {
        tokenError(res, 401, 'invalid_client', problem);
        return undefined;
      }
      clientId = client.clientId;
    }
    if (form.has('client_id') && form.get('client_id') !== clientId) {
      tokenError(res, 401, 'invalid_client', 'client_id does not match the authenticated client');
      return undefined;
    }
    return clientId;
  }

  async function authorizeGet(req, res, url) {
    const params = Object.fromEntries(url.searchParams);
    const { client_id: clientId, redirect_uri: redirectUri, response_type: responseType, state, scope = '' } = params;
    // RFC 6749 4.1.2.1: with a bad client or redirect URI, tell the person, never redirect.
    if (clientId !== client.clientId) {
      send(res, 400, errorPage(`Unknown client_id ${JSON.stringify(clientId ?? '')}.`), 'text/html; charset=utf-8');
      return;
    }
    if (!client.redirectUris.includes(redirectUri)) {
      send(res, 400, errorPage(`redirect_uri ${JSON.stringify(redirectUri ?? '')} is not registered for this client.`), 'text/html; charset=utf-8');
      return;
    }
    const back = (query) => {
      const target = new URL(redirectUri);
      for (const [key, value] of Object.entries(query)) if (value !== undefined) target.searchParams.set(key, value);
      redirect(res, target.href);
    };
    if (responseType !== 'code') {
      back({ error: 'unsupported_response_type', error_description: 'only response_type=code is supported', state });
      return;
    }
    const scopes = scope.split(' ').filter(Boolean);
    const unknown = scopes.filter((value) => !SCOPES.includes(value));
    if (unknown.length) {
      back({ error: 'invalid_scope', error_description: `unknown scope ${unknown.join(' ')}`, state });
      return;
    }
    const known = new Set(['client_id', 'redirect_uri', 'response_type', 'state', 'scope']);
    const extras = Object.fromEntries(Object.entries(params).filter(([key]) => !known.has(key)));
    sweep();
    const requestId = token();
    requests.set(requestId, { redirectUri, state, scopes, extras, expiresAt: Date.now() + REQUEST_TTL_MS });
    send(res, 200, loginPage({ requestId, clientName: 'Local Logto (OAuth2 connector)', scopes, extras }), 'text/html; charset=utf-8');
  }

  async function authorizePost(req, res) {
    const form = await readForm(req);
    sweep();
    const requestId = form.get('request') ?? '';
    const pending = requests.get(requestId);
    if (!pending) {
      send(res, 400, errorPage('This sign-in request has expired. Go back and start again.'), 'text/html; charset=utf-8');
      return;
    }
    const back = (query) => {
      requests.delete(requestId);
      const target = new URL(pending.redirectUri);
      for (const [key, value] of Object.entries(query)) if (value !== undefined) target.searchParams.set(key, value);
      redirect(res, target.href);
    };
    if (form.get('action') === 'deny') {
      back({ error: 'access_denied', error_description: 'The user denied the request', state: pending.state });
      return;
    }
    const username = (form.get('username') ?? '').trim().toLowerCase();
    const user = UPSTREAM_USERS.find((candidate) => candidate.username === username);
    if (!user || !sameSecret(user.password, form.get('password') ?? '')) {
      send(res, 401, loginPage({
        requestId,
        clientName: 'Local Logto (OAuth2 connector)',
        scopes: pending.scopes,
        extras: pending.extras,
        username,
        error: 'Incorrect username or password',
      }), 'text/html; charset=utf-8');
      return;
    }
    const code = token();
    codes.set(code, {
      clientId: client.clientId,
      redirectUri: pending.redirectUri,
      username: user.username,
      scopes: pending.scopes,
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    back({ code, state: pending.state });
  }

  async function tokenPost(req, res) {
    const form = await readForm(req);
    const clientId = authenticateClient(req, res, form);
    if (!clientId) return;
    if (form.get('grant_type') !== 'authorization_code') {
      tokenError(res, 400, 'unsupported_grant_type', 'only authorization_code is supported');
      return;
    }
    sweep();
    const code = form.get('code') ?? '';
    const grant = codes.get(code);
    codes.delete(code); // RFC 6749 4.1.2: a code is used once
    if (!grant || grant.clientId !== clientId) {
      tokenError(res, 400, 'invalid_grant', 'the authorization code is invalid, expired or already used');
      return;
    }
    // RFC 6749 4.1.3: redirect_uri must be identical to the one in the authorization request.
    if (form.get('redirect_uri') !== grant.redirectUri) {
      tokenError(res, 400, 'invalid_grant', 'redirect_uri does not match the authorization request');
      return;
    }
    const accessToken = token();
    accessTokens.set(accessToken, {
      username: grant.username,
      scopes: grant.scopes,
      expiresAt: Date.now() + TOKEN_TTL_S * 1000,
    });
    const body = { access_token: accessToken, token_type: 'bearer', scope: grant.scopes.join(' ') };
    // A form-encoded answer carries only strings, and Logto's connector wants `expires_in` to be
    // a number, so (like GitHub's) it leaves `expires_in` out; the JSON answer has it.
    if (client.tokenResponseType === 'json') body.expires_in = TOKEN_TTL_S;
    tokenResponse(res, 200, body);
  }

  function userinfo(req, res) {
    // RFC 6750 2.1: the auth scheme is case-insensitive.
    const match = /^Bearer\s+(\S+)\s*$/iu.exec(req.headers.authorization ?? '');
    sweep();
    const grant = match && accessTokens.get(match[1]);
    if (!grant) {
      send(res, 401, JSON.stringify({ error: 'invalid_token', error_description: 'missing, unknown or expired access token' }), 'application/json', {
        'WWW-Authenticate': 'Bearer error="invalid_token"',
      });
      return;
    }
    const user = UPSTREAM_USERS.find((candidate) => candidate.username === grant.username);
    send(res, 200, JSON.stringify(visibleProfile(user.profile, grant.scopes)), 'application/json');
  }

  async function handle(req, res) {
    const url = new URL(req.url, 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname}`;
    if (route === `GET ${AUTHORIZE_PATH}`) return authorizeGet(req, res, url);
    if (route === `POST ${AUTHORIZE_PATH}`) return authorizePost(req, res);
    if (route === `POST ${TOKEN_PATH}`) return tokenPost(req, res);
    if (route === `GET ${USERINFO_PATH}`) return userinfo(req, res);
    send(res, 404, JSON.stringify({ error: 'not_found' }), 'application/json');
    return undefined;
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      process.stderr.write(`local_idp upstream: ${req.method} ${new URL(req.url, 'http://x').pathname} failed: ${error.stack}\n`);
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: 'server_error' }), 'application/json');
      else res.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  endpoint = `http://127.0.0.1:${server.address().port}`;
  return {
    endpoint,
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}
