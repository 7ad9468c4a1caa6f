// The OAuth2 social connector, configured exactly like Logto's (Console > Connectors > Social >
// OAuth2) and run by Logto's own published connector, @logto/connector-oauth: it validates the
// configuration, builds the authorization URI (scope, state, `customConfig` passed through) and,
// on return, redeems the code (client_secret_post / _basic / _jwt, JSON or query-string token
// response), fetches userinfo and maps it with `profileMap` (nested paths like `data.user.id`).
//
// The connector record (JSON file, inline JSON or the default below):
//
//   { "id": "oauth2",            connector ID: its callback is <endpoint>/callback/<id>
//     "target": "oauth2",        IdP name: direct_sign_in=social:<target>, identities.<target>
//     "name": "OAuth2",          shown as "Continue with <name>"
//     "syncProfile": false,      true: name/avatar updated on every sign-in, not only sign-up
//     "config": { ...Logto's OAuth2 connector configuration... },
//     "upstream": { ...how the built-in upstream registered this client (defaults: config) } }
//
// `{upstream}` in a config string stands for the built-in upstream provider's origin.

import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';

import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';
import createOauthConnector from '@logto/connector-oauth';

import { AUTHORIZE_PATH, AUTH_METHODS, TOKEN_PATH, USERINFO_PATH } from './upstream.mjs';

export const UPSTREAM_PLACEHOLDER = '{upstream}';

export const DEFAULT_CONNECTOR = Object.freeze({
  id: 'oauth2',
  target: 'oauth2',
  name: 'OAuth2',
  syncProfile: false,
  config: {
    authorizationEndpoint: `${UPSTREAM_PLACEHOLDER}${AUTHORIZE_PATH}`,
    tokenEndpoint: `${UPSTREAM_PLACEHOLDER}${TOKEN_PATH}`,
    userInfoEndpoint: `${UPSTREAM_PLACEHOLDER}${USERINFO_PATH}`,
    clientId: 'local-idp-social',
    clientSecret: 'local-idp-social-secret',
    tokenEndpointAuthMethod: 'client_secret_post',
    tokenEndpointResponseType: 'json',
    scope: 'profile email',
    profileMap: { id: 'user_id', name: 'display_name', avatar: 'avatar_url', email: 'mail' },
    customConfig: {},
  },
});

const ENTRY_KEYS = ['id', 'target', 'name', 'syncProfile', 'config', 'upstream'];
const UPSTREAM_KEYS = [
  'clientId',
  'clientSecret',
  'tokenEndpointAuthMethod',
  'clientSecretJwtSigningAlgorithm',
  'tokenResponseType',
  'port',
];
const ENDPOINT_FIELDS = ['authorizationEndpoint', 'tokenEndpoint', 'userInfoEndpoint'];
const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/u;

/** A connector configuration problem; `field` names the offending key (e.g. config.clientId). */
export class ConnectorConfigError extends Error {
  constructor(field, message) {
    super(`social connector ${field}: ${message}`);
    this.field = field;
  }
}

/**
 * The connector record from `--social-connector` / LOCAL_IDP_SOCIAL_CONNECTOR: inline JSON, a
 * path to a JSON file, or `none` for no connector. Unset means the default.
 */
export function readConnectorSource(raw) {
  if (raw === undefined || raw === '') return structuredClone(DEFAULT_CONNECTOR);
  if (raw === 'none') return undefined;
  let text = raw;
  if (!raw.trimStart().startsWith('{')) {
    try {
      text = readFileSync(raw, 'utf8');
    } catch (error) {
      throw new ConnectorConfigError('file', `cannot read ${JSON.stringify(raw)}: ${error.message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConnectorConfigError('JSON', `not valid JSON: ${error.message}`);
  }
}

function substitute(value, upstreamEndpoint) {
  return typeof value === 'string' ? value.replaceAll(UPSTREAM_PLACEHOLDER, upstreamEndpoint) : value;
}

function zodProblem(prefix, zodError) {
  const [issue] = zodError.issues;
  const field = [prefix, ...issue.path].filter((part) => part !== '').join('.');
  const message = issue.message === 'Required' ? 'is required' : issue.message;
  return new ConnectorConfigError(field, message);
}

/** Checks the record's own keys (not Logto's config); throws ConnectorConfigError. */
export function checkEntry(entry) {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new ConnectorConfigError('record', 'must be a JSON object');
  }
  for (const key of Object.keys(entry)) {
    if (!ENTRY_KEYS.includes(key)) {
      throw new ConnectorConfigError(key, `unknown key; use ${ENTRY_KEYS.join(', ')}`);
    }
  }
  const target = entry.target ?? 'oauth2';
  if (typeof target !== 'string' || !NAME_RULE.test(target)) {
    throw new ConnectorConfigError('target', 'must be letters, digits, "-" or "_" (e.g. "oauth2")');
  }
  const id = entry.id ?? target;
  if (typeof id !== 'string' || !NAME_RULE.test(id)) {
    throw new ConnectorConfigError('id', 'must be letters, digits, "-" or "_"');
  }
  const name = entry.name ?? 'OAuth2';
  if (typeof name !== 'string' || !name.trim()) {
    throw new ConnectorConfigError('name', 'must be a non-empty string');
  }
  if (entry.syncProfile !== undefined && typeof entry.syncProfile !== 'boolean') {
    throw new ConnectorConfigError('syncProfile', 'must be true or false');
  }
  if (entry.config === null || typeof entry.config !== 'object' || Array.isArray(entry.config)) {
    throw new ConnectorConfigError('config', "is required: Logto's OAuth2 connector configuration object");
  }
  if (entry.upstream !== undefined) {
    if (entry.upstream === null || typeof entry.upstream !== 'object' || Array.isArray(entry.upstream)) {
      throw new ConnectorConfigError('upstream', 'must be a JSON object');
    }
    for (const key of Object.keys(entry.upstream)) {
      if (!UPSTREAM_KEYS.includes(key)) {
        throw new ConnectorConfigError(`upstream.${key}`, `unknown key; use ${UPSTREAM_KEYS.join(', ')}`);
      }
    }
  }
  return { id, target, name: name.trim(), syncProfile: entry.syncProfile ?? false };
}

/** How the built-in upstream registers the client; defaults mirror the connector config. */
export function upstreamRegistration(entry, parsedConfig) {
  const upstream = entry.upstream ?? {};
  const registration = {
    clientId: upstream.clientId ?? parsedConfig.clientId,
    clientSecret: upstream.clientSecret ?? parsedConfig.clientSecret,
    tokenEndpointAuthMethod: upstream.tokenEndpointAuthMethod ?? parsedConfig.tokenEndpointAuthMethod,
    clientSecretJwtSigningAlgorithm:
      upstream.clientSecretJwtSigningAlgorithm ?? parsedConfig.clientSecretJwtSigningAlgorithm,
    tokenResponseType: upstream.tokenResponseType ?? parsedConfig.tokenEndpointResponseType,
    port: upstream.port ?? 0,
  };
  for (const key of ['clientId', 'clientSecret']) {
    if (typeof registration[key] !== 'string' || !registration[key]) {
      throw new ConnectorConfigError(`upstream.${key}`, 'must be a non-empty string');
    }
  }
  if (!AUTH_METHODS.includes(registration.tokenEndpointAuthMethod)) {
    throw new ConnectorConfigError('upstream.tokenEndpointAuthMethod', `must be one of ${AUTH_METHODS.join(', ')}`);
  }
  if (!['HS256', 'HS384', 'HS512'].includes(registration.clientSecretJwtSigningAlgorithm)) {
    throw new ConnectorConfigError('upstream.clientSecretJwtSigningAlgorithm', 'must be HS256, HS384 or HS512');
  }
  if (!['json', 'query-string'].includes(registration.tokenResponseType)) {
    throw new ConnectorConfigError('upstream.tokenResponseType', 'must be "json" or "query-string"');
  }
  if (!Number.isInteger(registration.port) || registration.port < 0 || registration.port > 65535) {
    throw new ConnectorConfigError('upstream.port', 'must be a port number (0 for any free port)');
  }
  return registration;
}

/**
 * Validates the record with Logto's own config guard, before anything listens, so a bad
 * configuration stops the server at start with the field named. `{upstream}` is substituted
 * with a stand-in origin here; `bindSocialConnector` substitutes the real one later.
 */
export async function prepareSocialConnector(entry) {
  const meta = checkEntry(entry);
  const probe = await createOauthConnector({ getConfig: async () => ({}) });
  const resolve = (upstreamEndpoint) => Object.fromEntries(
    Object.entries(entry.config).map(([key, value]) => [key, substitute(value, upstreamEndpoint)]),
  );
  const result = probe.configGuard.safeParse(resolve('http://127.0.0.1:1'));
  if (!result.success) throw zodProblem('config', result.error);
  for (const field of ENDPOINT_FIELDS) {
    const value = result.data[field];
    if (!URL.canParse(value) || !/^https?:$/u.test(new URL(value).protocol)) {
      throw new ConnectorConfigError(`config.${field}`, `must be an http(s) URL, got ${JSON.stringify(value)}`);
    }
  }
  const upstream = upstreamRegistration(entry, result.data);
  return { ...meta, resolve, parsedConfig: result.data, upstream };
}

// ------------------------------------------------------------------------------ runtime

// @logto/connector-oauth turns an HTTP error into ConnectorError(General, JSON.stringify(body)),
// and `body` is a stream, so the reason is always "{}". To tell people *why* the social sign-in
// failed, the connector's own requests are observed (status and OAuth error code only; never a
// token or a body that could hold one) while it runs.
const observed = new AsyncLocalStorage();
const realFetch = globalThis.fetch;
globalThis.fetch = async function observingFetch(input, init) {
  const log = observed.getStore();
  const response = await realFetch(input, init);
  if (log) {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const record = { url: `${url.origin}${url.pathname}`, status: response.status, ok: response.ok };
    if (!response.ok) {
      try {
        const text = await response.clone().text();
        const body = text.trimStart().startsWith('{') ? JSON.parse(text) : Object.fromEntries(new URLSearchParams(text));
        if (typeof body.error === 'string') record.error = body.error.slice(0, 80);
        if (typeof body.error_description === 'string') record.errorDescription = body.error_description.slice(0, 200);
      } catch {
        // Not an OAuth error body: the status says enough.
      }
    }
    log.push(record);
  }
  return response;
};

function describeFailure(error, requests, connector) {
  const { name, parsedConfig: config } = connector;
  const last = requests.at(-1);
  const which = (url) => {
    if (url === config.tokenEndpoint.split('?')[0]) return 'token endpoint';
    if (url === config.userInfoEndpoint.split('?')[0]) return 'userinfo endpoint';
    return url;
  };
  if (last && !last.ok) {
    let text = `${name}'s ${which(last.url)} answered HTTP ${last.status}`;
    if (last.error) text += `: ${last.error}${last.errorDescription ? ` (${last.errorDescription})` : ''}`;
    return text;
  }
  if (error instanceof ConnectorError) {
    if (error.code === ConnectorErrorCodes.InvalidResponse && last && which(last.url) === 'userinfo endpoint') {
      const issue = error.data?.issues?.[0];
      if (issue) {
        const key = String(issue.path[0] ?? 'id');
        const message = issue.message === 'Required' ? 'nothing found' : issue.message;
        return `the profile from ${name} does not fit profileMap.${key} ("${config.profileMap[key]}"): ${message}`;
      }
      return `the profile from ${name} is not a JSON object`;
    }
    if (error.code === ConnectorErrorCodes.InvalidResponse && last && which(last.url) === 'token endpoint') {
      return `the token response from ${name} could not be read as ${config.tokenEndpointResponseType} `
        + '(check tokenEndpointResponseType)';
    }
    const detail = typeof error.data === 'string' ? error.data : error.data?.message ?? '';
    return `${name} connector error ${error.code}${detail && detail !== '{}' ? `: ${detail.slice(0, 200)}` : ''}`;
  }
  if (last === undefined || requests.length === 0) {
    return `cannot reach ${name}: ${error.cause?.code ?? error.message}`;
  }
  return `${name} sign-in failed: ${error.message}`;
}

/** A connector bound to the running server: its callback URI and the real upstream origin. */
export async function bindSocialConnector(prepared, { endpoint, upstreamEndpoint }) {
  const config = prepared.resolve(upstreamEndpoint);
  const connector = await createOauthConnector({ getConfig: async () => config });
  const bound = {
    ...prepared,
    config,
    parsedConfig: connector.configGuard.parse(config),
    callbackUri: `${endpoint}/callback/${prepared.id}`,
  };

  /** Logto's getAuthorizationUri; `session` is filled with what the callback needs. */
  bound.authorizationUri = async (state, session) => connector.getAuthorizationUri(
    { state, redirectUri: bound.callbackUri, connectorId: prepared.id, connectorFactoryId: 'oauth2', jti: state, headers: {} },
    async (value) => Object.assign(session, value),
  );

  /** Logto's getUserInfo: `{ ok: true, userInfo }` or `{ ok: false, reason }` (safe to show). */
  bound.userInfo = async (callbackQuery, session) => {
    const requests = [];
    try {
      const userInfo = await observed.run(requests, () => connector.getUserInfo(callbackQuery, async () => session));
      return { ok: true, userInfo };
    } catch (error) {
      return { ok: false, reason: describeFailure(error, requests, bound) };
    }
  };
  return bound;
}
