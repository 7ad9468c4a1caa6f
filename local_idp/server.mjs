#!/usr/bin/env node
// A local Logto-compatible OpenID Provider for desktop_app's tests and --demo mode.
//
// Serves on 127.0.0.1, mounts oidc-provider under /oidc (like Logto), and hosts the sign-in
// pages itself. Prints exactly one JSON line on stdout when ready; everything else goes to
// stderr. Exits on SIGTERM/SIGINT and when stdin closes, so it never outlives its parent.
//
// Usage: node server.mjs [--port N] [--signing-alg ES384|RS256|...]
//                        [--post-logout-redirect-uri URI]... [--ignore-stdin]
// See README.md for the environment variables.

import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

// oidc-provider prints its notices with console.info; stdout carries only the ready line.
console.info = console.error;
console.log = console.error;

const { default: Provider } = await import('oidc-provider');
const {
  API_RESOURCE,
  API_SCOPES,
  APP_ID,
  DEFAULT_POST_LOGOUT_REDIRECT_URIS,
  REDIRECT_URI,
  SIGNING_ALGS,
  alignWithLogto,
  buildConfiguration,
} = await import('./provider.mjs');
const { TEST_USERS, UserStore } = await import('./users.mjs');
const pages = await import('./pages.mjs');

const HOST = '127.0.0.1';
const MOUNT = '/oidc';
const MAX_FORM_BYTES = 16 * 1024;

function fail(message) {
  process.stderr.write(`local_idp: ${message}\n`);
  process.exit(2);
}

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) fail(`${name} must be a positive whole number of seconds, got ${JSON.stringify(raw)}`);
  return value;
}

function readOptions() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        port: { type: 'string' },
        'signing-alg': { type: 'string' },
        'post-logout-redirect-uri': { type: 'string', multiple: true },
        'ignore-stdin': { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    fail(error.message);
  }

  const rawPort = parsed.port ?? process.env.LOCAL_IDP_PORT ?? '0';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid port ${JSON.stringify(rawPort)}`);

  const alg = (parsed['signing-alg'] ?? process.env.LOCAL_IDP_SIGNING_ALG ?? 'ES384').toUpperCase();
  if (!SIGNING_ALGS.includes(alg)) fail(`unsupported signing algorithm ${alg}; use one of ${SIGNING_ALGS.join(', ')}`);

  const fromEnv = process.env.LOCAL_IDP_POST_LOGOUT_REDIRECT_URIS;
  const postLogoutRedirectUris = parsed['post-logout-redirect-uri']
    ?? (fromEnv ? fromEnv.split(/[\s,]+/u).filter(Boolean) : DEFAULT_POST_LOGOUT_REDIRECT_URIS);
  for (const uri of postLogoutRedirectUris) {
    if (!URL.canParse(uri)) fail(`invalid post-logout redirect URI ${JSON.stringify(uri)}`);
  }

  const ttl = {
    accessToken: positiveInt('LOCAL_IDP_ACCESS_TOKEN_TTL', 3600),
    idToken: positiveInt('LOCAL_IDP_ID_TOKEN_TTL', 3600),
    refreshToken: positiveInt('LOCAL_IDP_REFRESH_TOKEN_TTL', 14 * 24 * 3600),
    session: positiveInt('LOCAL_IDP_SESSION_TTL', 14 * 24 * 3600),
  };

  const ignoreStdin = parsed['ignore-stdin'] || process.env.LOCAL_IDP_IGNORE_STDIN === '1';
  return { port, alg, postLogoutRedirectUris, ttl, ignoreStdin };
}

const options = readOptions();
const users = new UserStore();

function send(res, status, body, type = 'text/html; charset=utf-8') {
  res.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function redirect(res, location) {
  res.writeHead(303, { Location: location, 'Cache-Control': 'no-store', 'Content-Length': 0 });
  res.end();
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

let provider;

/** The interaction in this browser's cookie, or undefined when there is none (expired, done). */
async function currentInteraction(req, res) {
  try {
    return await provider.interactionDetails(req, res);
  } catch (error) {
    if (error.name === 'SessionNotFound') return undefined;
    throw error;
  }
}

async function clientName(details) {
  const client = await provider.Client.find(details.params.client_id);
  return client?.clientName ?? details.params.client_id;
}

async function renderScreen(res, details, screen, extra = {}, status = 200) {
  const view = {
    uid: details.uid,
    clientName: await clientName(details),
    directSignIn: details.params.direct_sign_in,
    // Logto pre-fills the identifier from `login_hint` (and its own `identifier` parameter).
    username: details.params.login_hint ?? details.params.identifier ?? '',
    ...extra,
  };
  send(res, status, screen === 'register' ? pages.registerPage(view) : pages.signInPage(view));
}

/**
 * Consent is granted without asking: Logto shows no consent screen for first-party apps.
 * oidc-provider asks native clients for consent on every authorization request.
 */
async function grantConsent(req, res, details) {
  const { prompt: { details: missing }, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const savedGrantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId: savedGrantId } }, {
    mergeWithLastSubmission: true,
  });
}

async function interactionRoute(req, res, pathname) {
  const details = await currentInteraction(req, res);
  if (!details) {
    send(res, 400, pages.expiredPage());
    return;
  }
  const screen = pathname === '/register' ? 'register' : 'sign-in';

  if (req.method === 'GET') {
    if (details.prompt.name === 'consent') {
      await grantConsent(req, res, details);
    } else if (pathname === '/consent') {
      redirect(res, '/sign-in');
    } else {
      await renderScreen(res, details, screen);
    }
    return;
  }

  const form = await readForm(req);
  if (form.get('uid') !== details.uid) {
    // A form from an older tab: this browser has started another sign-in since.
    send(res, 400, pages.expiredPage());
    return;
  }

  if (pathname === '/cancel') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return;
  }
  if (details.prompt.name !== 'login') {
    redirect(res, '/consent');
    return;
  }

  const username = form.get('username') ?? '';
  const password = form.get('password') ?? '';
  let user;
  if (screen === 'register') {
    const outcome = users.register(username, password);
    if (outcome.error) {
      await renderScreen(res, details, screen, { username, error: outcome.error }, 400);
      return;
    }
    ({ user } = outcome);
  } else {
    user = users.authenticate(username, password);
    if (!user) {
      await renderScreen(res, details, screen, {
        username,
        error: 'Incorrect username or password',
      }, 401);
      return;
    }
  }
  await provider.interactionFinished(req, res, {
    login: { accountId: user.sub, amr: ['pwd'] },
  }, { mergeWithLastSubmission: false });
}

const INTERACTION_ROUTES = new Map([
  ['/sign-in', ['GET', 'POST']],
  ['/register', ['GET', 'POST']],
  ['/consent', ['GET']],
  ['/cancel', ['POST']],
]);

let info;
let providerCallback;

async function handle(req, res) {
  const { pathname } = new URL(req.url, 'http://127.0.0.1');

  if (pathname === MOUNT || pathname.startsWith(`${MOUNT}/`)) {
    // Mount oidc-provider under /oidc; it derives its URLs from originalUrl vs. url.
    req.originalUrl = req.url;
    req.url = req.url.slice(MOUNT.length) || '/';
    providerCallback(req, res);
    return;
  }

  const methods = INTERACTION_ROUTES.get(pathname);
  if (methods) {
    if (!methods.includes(req.method)) {
      res.writeHead(405, { Allow: methods.join(', ') });
      res.end();
      return;
    }
    await interactionRoute(req, res, pathname);
    return;
  }

  if (pathname === '/' && req.method === 'GET') {
    send(res, 200, pages.indexPage(info));
    return;
  }
  send(res, 404, JSON.stringify({ error: 'not_found', error_description: 'no such page' }), 'application/json');
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => {
    process.stderr.write(`local_idp: ${req.method} ${new URL(req.url, 'http://x').pathname} failed: ${error.stack}\n`);
    if (!res.headersSent) {
      send(res, 500, JSON.stringify({ error: 'server_error', error_description: 'the local IdP failed; see its stderr' }), 'application/json');
    } else {
      res.destroy();
    }
  });
});

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(options.port, HOST, resolve);
}).catch((error) => fail(`cannot listen on ${HOST}:${options.port}: ${error.message}`));

const endpoint = `http://${HOST}:${server.address().port}`;
const issuer = `${endpoint}${MOUNT}`;

provider = new Provider(issuer, buildConfiguration({ ...options, users }));
alignWithLogto(provider);
provider.on('server_error', (_ctx, error) => {
  process.stderr.write(`local_idp: oidc-provider server error: ${error.stack}\n`);
});
providerCallback = provider.callback();

info = {
  endpoint,
  issuer,
  app_id: APP_ID,
  redirect_uri: REDIRECT_URI,
  post_logout_redirect_uris: options.postLogoutRedirectUris,
  api_resource: API_RESOURCE,
  api_scopes: API_SCOPES,
  signing_alg: options.alg,
  users: TEST_USERS.map(({ username, password }) => ({ username, password })),
  pid: process.pid,
};

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (!options.ignoreStdin) {
  // The parent holds our stdin; when it goes away (exit, crash, kill -9) stdin ends.
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}

process.stdout.write(`${JSON.stringify(info)}\n`);
