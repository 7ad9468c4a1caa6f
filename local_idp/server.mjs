#!/usr/bin/env node
// A local Logto-compatible OpenID Provider for desktop_app's tests and --demo mode.
//
// Serves on 127.0.0.1, mounts oidc-provider under /oidc (like Logto), and hosts the sign-in
// pages itself. Prints exactly one JSON line on stdout when ready; everything else goes to
// stderr. Exits on SIGTERM/SIGINT and when stdin closes, so it never outlives its parent.
//
// With it runs a second server on 127.0.0.1, the upstream OAuth 2.0 provider behind the OAuth2
// social connector (upstream.mjs), the way GitHub or any vendor sits behind a Logto connector.
//
// Usage: node server.mjs [--port N] [--signing-alg ES384|RS256|...]
//                        [--post-logout-redirect-uri URI]... [--ignore-stdin]
//                        [--social-connector JSON|PATH|none]
// See README.md for the environment variables.

import { randomBytes } from 'node:crypto';
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
const { enableOrganizationTokens } = await import('./organizations.mjs');
const pages = await import('./pages.mjs');
const { readForm, redirect, send } = await import('./respond.mjs');
const social = await import('./social.mjs');
const { AUTHORIZE_PATH, TOKEN_PATH, UPSTREAM_USERS, USERINFO_PATH, startUpstream } = await import('./upstream.mjs');

// LOCAL_IDP_HOST: another address of this machine, for tests that must reach the provider
// through an HTTP proxy (the app never proxies loopback, as a real Logto is never on loopback).
const HOST = process.env.LOCAL_IDP_HOST || '127.0.0.1';
const MOUNT = '/oidc';
const SOCIAL_STATE_TTL_MS = 10 * 60_000;

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
        'social-connector': { type: 'string' },
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
  const socialConnector = parsed['social-connector'] ?? process.env.LOCAL_IDP_SOCIAL_CONNECTOR;
  return { port, alg, postLogoutRedirectUris, ttl, ignoreStdin, socialConnector };
}

const options = readOptions();

/** The social connector record, checked with Logto's own config guard before anything listens. */
async function prepareConnector() {
  try {
    const entry = social.readConnectorSource(options.socialConnector);
    return entry === undefined ? undefined : await social.prepareSocialConnector(entry);
  } catch (error) {
    if (error instanceof social.ConnectorConfigError) fail(error.message);
    throw error;
  }
}
const preparedConnector = await prepareConnector();
const users = new UserStore();

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
  const direct = details.params.direct_sign_in;
  const view = {
    uid: details.uid,
    clientName: await clientName(details),
    // Named on the page only when it could not be honoured (Logto silently falls back).
    directSignIn: direct && !connectorForDirectSignIn(direct) ? direct : undefined,
    socialConnectors: connector ? [{ id: connector.id, name: connector.name }] : [],
    // What went wrong with the last social sign-in, as Logto's toast on its sign-in page.
    error: socialFailures.get(details.uid) ?? '',
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
    const failure = socialFailures.get(details.uid);
    socialFailures.delete(details.uid);
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      // After a failed social sign-in, tell the app why the person gave up.
      error_description: failure
        ? `End-User aborted interaction after sign-in with ${connector.name} failed: ${failure}`
        : 'End-User aborted interaction',
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

// ------------------------------------------------------------------------ social sign-in

let connector; // the bound OAuth2 social connector, or undefined with --social-connector none
const socialStates = new Map(); // state -> { uid, connectorId, session, expiresAt }
const socialFailures = new Map(); // interaction uid -> why its last social sign-in failed

function connectorForDirectSignIn(value) {
  const [method, target] = String(value).split(':');
  return method === 'social' && connector && connector.target === target ? connector : undefined;
}

function sweepSocialStates() {
  const now = Date.now();
  for (const [state, pending] of socialStates) if (pending.expiresAt <= now) socialStates.delete(state);
}

/** Logto's social sign-in start: a fresh `state`, then off to the provider's authorization page. */
async function startSocialSignIn(res, details) {
  sweepSocialStates();
  const state = randomBytes(16).toString('base64url');
  const session = {};
  const location = await connector.authorizationUri(state, session);
  socialStates.set(state, {
    uid: details.uid,
    connectorId: connector.id,
    session,
    expiresAt: Date.now() + SOCIAL_STATE_TTL_MS,
  });
  redirect(res, location);
}

function socialFailed(res, details, reason) {
  process.stderr.write(`local_idp: social sign-in with ${connector.name} failed: ${reason}\n`);
  socialFailures.set(details.uid, reason);
  // Logto's experience shows the error as a toast and navigates to its sign-in page.
  redirect(res, '/sign-in');
}

/** `/direct/<method>/<target>`: start that social sign-in, or fall back like Logto's DirectSignIn. */
async function directSignInRoute(req, res, method, target) {
  const details = await currentInteraction(req, res);
  if (!details) {
    send(res, 400, pages.expiredPage());
    return;
  }
  if (details.prompt.name !== 'login') {
    redirect(res, '/consent');
    return;
  }
  if (method === 'social' && connector && connector.target === target) {
    await startSocialSignIn(res, details);
    return;
  }
  const { first_screen: firstScreen, interaction_mode: mode } = details.params;
  const register = ['register', 'identifierRegister'].includes(firstScreen ?? (mode === 'signUp' ? 'register' : ''));
  redirect(res, register ? '/register' : '/sign-in');
}

/** POST `/social/<connectorId>`: the "Continue with <name>" button. */
async function socialButtonRoute(req, res, connectorId) {
  const details = await currentInteraction(req, res);
  const form = await readForm(req);
  if (!details || form.get('uid') !== details.uid) {
    send(res, 400, pages.expiredPage());
    return;
  }
  if (!connector || connectorId !== connector.id) {
    send(res, 404, pages.expiredPage());
    return;
  }
  if (details.prompt.name !== 'login') {
    redirect(res, '/consent');
    return;
  }
  socialFailures.delete(details.uid);
  await startSocialSignIn(res, details);
}

/** GET `/callback/<connectorId>`: back from the upstream provider (Logto's social callback). */
async function socialCallbackRoute(req, res, connectorId, searchParams) {
  const details = await currentInteraction(req, res);
  if (!details) {
    send(res, 400, pages.expiredPage());
    return;
  }
  const { state, ...data } = Object.fromEntries(searchParams);
  sweepSocialStates();
  const pending = state === undefined ? undefined : socialStates.get(state);
  if (pending) socialStates.delete(state);
  // The state must be one this browser's interaction started (Logto checks it the same way,
  // against the state it kept in the browser), else this is someone else's callback.
  if (!connector || !pending || pending.uid !== details.uid || pending.connectorId !== connectorId) {
    socialFailed(res, details, 'the answer from the social provider could not be matched to this sign-in (state mismatch); try again');
    return;
  }
  if (data.error) {
    // RFC 6749 4.1.2.1: the provider (or the person there) refused.
    const description = data.error_description ? `: ${String(data.error_description).slice(0, 200)}` : '';
    socialFailed(res, details, data.error === 'access_denied'
      ? `access was denied at ${connector.name} (access_denied${description})`
      : `${connector.name} returned ${String(data.error).slice(0, 80)}${description}`);
    return;
  }
  const outcome = await connector.userInfo(data, pending.session);
  if (!outcome.ok) {
    socialFailed(res, details, outcome.reason);
    return;
  }
  if (details.prompt.name !== 'login') {
    redirect(res, '/consent');
    return;
  }
  const user = users.signInWithSocial(connector.target, outcome.userInfo, { syncProfile: connector.syncProfile });
  socialFailures.delete(details.uid);
  await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, {
    mergeWithLastSubmission: false,
  });
}

const SOCIAL_ROUTES = [
  [/^\/direct\/([^/]+)\/([^/]+)$/u, 'GET', (req, res, match) => directSignInRoute(req, res, decodeURIComponent(match[1]), decodeURIComponent(match[2]))],
  [/^\/social\/([^/]+)$/u, 'POST', (req, res, match) => socialButtonRoute(req, res, decodeURIComponent(match[1]))],
  [/^\/callback\/([^/]+)$/u, 'GET', (req, res, match, url) => socialCallbackRoute(req, res, decodeURIComponent(match[1]), url.searchParams)],
];

const INTERACTION_ROUTES = new Map([
  ['/sign-in', ['GET', 'POST']],
  ['/register', ['GET', 'POST']],
  ['/consent', ['GET']],
  ['/cancel', ['POST']],
]);

let info;
let providerCallback;

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const { pathname } = url;

  if (pathname === MOUNT || pathname.startsWith(`${MOUNT}/`)) {
    // Mount oidc-provider under /oidc; it derives its URLs from originalUrl vs. url.
    req.originalUrl = req.url;
    req.url = req.url.slice(MOUNT.length) || '/';
    providerCallback(req, res);
    return;
  }

  for (const [pattern, method, route] of SOCIAL_ROUTES) {
    const match = pattern.exec(pathname);
    if (!match) continue;
    if (req.method !== method) {
      res.writeHead(405, { Allow: method });
      res.end();
      return;
    }
    await route(req, res, match, url);
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

const configuration = buildConfiguration({ ...options, users });
const signingJwk = configuration.jwks.keys[0];
provider = new Provider(issuer, configuration);
enableOrganizationTokens(provider, { signingJwk, users });
alignWithLogto(provider);
provider.on('server_error', (_ctx, error) => {
  process.stderr.write(`local_idp: oidc-provider server error: ${error.stack}\n`);
});
providerCallback = provider.callback();

let upstream;
if (preparedConnector) {
  const registration = preparedConnector.upstream;
  try {
    upstream = await startUpstream({
      client: { ...registration, redirectUris: [`${endpoint}/callback/${preparedConnector.id}`] },
      port: registration.port,
    });
  } catch (error) {
    fail(`cannot start the upstream OAuth 2.0 provider on ${HOST}:${registration.port}: ${error.message}`);
  }
  connector = await social.bindSocialConnector(preparedConnector, { endpoint, upstreamEndpoint: upstream.endpoint });
}

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
  // Secrets (clientSecret) stay out: whoever configured the connector knows them.
  social_connectors: connector ? [{
    id: connector.id,
    target: connector.target,
    name: connector.name,
    direct_sign_in: `social:${connector.target}`,
    callback_uri: connector.callbackUri,
    authorization_endpoint: connector.parsedConfig.authorizationEndpoint,
    token_endpoint: connector.parsedConfig.tokenEndpoint,
    userinfo_endpoint: connector.parsedConfig.userInfoEndpoint,
    client_id: connector.parsedConfig.clientId,
    token_endpoint_auth_method: connector.parsedConfig.tokenEndpointAuthMethod,
    token_endpoint_response_type: connector.parsedConfig.tokenEndpointResponseType,
    scope: connector.parsedConfig.scope ?? null,
    profile_map: connector.parsedConfig.profileMap,
  }] : [],
  upstream: upstream ? {
    endpoint: upstream.endpoint,
    authorization_endpoint: `${upstream.endpoint}${AUTHORIZE_PATH}`,
    token_endpoint: `${upstream.endpoint}${TOKEN_PATH}`,
    userinfo_endpoint: `${upstream.endpoint}${USERINFO_PATH}`,
    client_id: preparedConnector.upstream.clientId,
    token_endpoint_auth_method: preparedConnector.upstream.tokenEndpointAuthMethod,
    token_response_type: preparedConnector.upstream.tokenResponseType,
    users: UPSTREAM_USERS.map(({ username, password }) => ({ username, password })),
  } : null,
  pid: process.pid,
};

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  upstream?.close();
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
