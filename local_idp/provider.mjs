// oidc-provider configured the way Logto configures it (packages/core/src/oidc/init.ts) for one
// Native application and one API resource.

import { generateKeyPairSync, randomBytes } from 'node:crypto';

import { errors } from 'oidc-provider';

import MemoryAdapter from './memory_adapter.mjs';
import { logoutPage, signedOutPage } from './pages.mjs';

export const APP_ID = 'desktop-app-demo';
// RFC 8252 7.3: registered without a port; oidc-provider accepts any port for native clients.
export const REDIRECT_URI = 'http://127.0.0.1/callback';
export const DEFAULT_POST_LOGOUT_REDIRECT_URIS = ['http://127.0.0.1:53682/signed-out'];
export const API_RESOURCE = 'https://api.local.test';
export const API_SCOPES = ['read:profile', 'write:profile'];
// Logto organizations: the scopes and resource that unlock them, and each organization role's
// permissions (organization scopes), as set up in a Logto tenant's organization template.
export const ORGANIZATIONS_SCOPE = 'urn:logto:scope:organizations';
export const ORGANIZATION_ROLES_SCOPE = 'urn:logto:scope:organization_roles';
export const ORGANIZATIONS_RESOURCE = 'urn:logto:resource:organizations';
export const ORGANIZATION_ROLE_SCOPES = {
  admin: ['read:reports', 'write:reports'],
  member: ['read:reports'],
};
export const ORGANIZATION_SCOPES = ['read:reports', 'write:reports'];
// The signing algorithms Logto offers (EdDSA left out there too).
export const SIGNING_ALGS = ['ES384', 'ES256', 'ES512', 'RS256', 'PS256'];

// Logto's extra authorization parameters (@logto/schemas ExtraParamsKey) that matter here.
const EXTRA_PARAMS = [
  'interaction_mode',
  'first_screen',
  'direct_sign_in',
  'identifier',
  'organization_id',
];

const CURVES = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** A fresh private signing JWK; keys live as long as the process. */
function signingKey(alg) {
  const { privateKey } = alg in CURVES
    ? generateKeyPairSync('ec', { namedCurve: CURVES[alg] })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `${alg.toLowerCase()}-${randomBytes(6).toString('base64url')}`;
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid };
}

/**
 * Where the login prompt goes, the way Logto's buildLoginPromptUrl picks it: `direct_sign_in`
 * (`<method>:<target>`) first, to the experience's `/direct/<method>/<target>` route, which
 * starts that social (or SSO) sign-in or falls back to the first screen; else the first screen.
 */
function loginScreen(params) {
  const [method, target] = String(params.direct_sign_in ?? '').split(':');
  if (method && target) {
    return `/direct/${encodeURIComponent(method)}/${encodeURIComponent(target)}`;
  }
  const firstScreen = params.first_screen
    ?? (params.interaction_mode === 'signUp' ? 'register' : 'signIn');
  return firstScreen === 'register' || firstScreen === 'identifierRegister'
    ? '/register'
    : '/sign-in';
}

/**
 * @param {object} options
 * @param {string} options.alg ID token / access token signing algorithm
 * @param {string[]} options.postLogoutRedirectUris matched exactly
 * @param {{accessToken:number,idToken:number,refreshToken:number,session:number}} options.ttl
 * @param {import('./users.mjs').UserStore} options.users
 */
export function buildConfiguration({ alg, postLogoutRedirectUris, ttl, users }) {
  const cookieOptions = { path: '/', sameSite: 'lax', signed: true, overwrite: true };

  return {
    adapter: MemoryAdapter,
    clients: [
      {
        client_id: APP_ID,
        client_name: 'Desktop App (local demo)',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
        post_logout_redirect_uris: postLogoutRedirectUris,
        id_token_signed_response_alg: alg,
      },
    ],
    jwks: { keys: [signingKey(alg)] },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      long: cookieOptions,
      short: cookieOptions,
    },
    enabledJWA: {
      idTokenSigningAlgValues: [alg],
      userinfoSigningAlgValues: [alg],
      introspectionSigningAlgValues: [alg],
      authorizationSigningAlgValues: [alg],
    },
    // Logto puts the scope claims (name, username, picture, email...) into the ID token too.
    conformIdTokenClaims: false,
    // A native app must say which loopback port it listens on (RFC 8252 7.3).
    allowOmittingSingleRegisteredRedirectUri: false,
    pkce: { required: () => true },
    // Logto's claims per scope (@logto/core-kit userClaims), for the scopes used here.
    claims: {
      openid: ['sub'],
      profile: ['name', 'username', 'picture', 'created_at', 'updated_at'],
      email: ['email', 'email_verified'],
      custom_data: ['custom_data'],
      identities: ['identities'],
      // Logto: ids in the ID token; names (organization_data) only from /oidc/me.
      [ORGANIZATIONS_SCOPE]: ['organizations', 'organization_data'],
      [ORGANIZATION_ROLES_SCOPE]: ['organization_roles'],
    },
    extraParams: EXTRA_PARAMS,
    async findAccount(_ctx, sub) {
      const user = users.findBySub(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims(use) {
          const claims = {
            sub,
            name: user.name,
            username: user.username,
            picture: user.picture,
            created_at: user.created_at,
            updated_at: user.updated_at,
            email: user.email,
            email_verified: user.email_verified,
          };
          const organizations = user.organizations ?? [];
          claims.organizations = organizations.map(({ id }) => id);
          claims.organization_roles = organizations.flatMap(
            ({ id, roles }) => roles.map((role) => `${id}:${role}`),
          );
          // Like Logto, custom_data, identities and organization_data are only served by the
          // userinfo endpoint.
          if (use === 'userinfo') {
            claims.custom_data = user.custom_data;
            claims.identities = user.identities;
            claims.organization_data = organizations.map(
              ({ id, name, description }) => ({ id, name, description }),
            );
          }
          return claims;
        },
      };
    },
    interactions: {
      url(_ctx, interaction) {
        return interaction.prompt.name === 'consent' ? '/consent' : loginScreen(interaction.params);
      },
    },
    features: {
      devInteractions: { enabled: false },
      // RFC 9126, as Logto has it: `<issuer>/request` answers 201 {request_uri, expires_in: 60};
      // the browser then carries only client_id and request_uri. Optional, as in Logto.
      pushedAuthorizationRequests: {
        enabled: true,
        requirePushedAuthorizationRequests: false,
        allowUnregisteredRedirectUris: false,
      },
      userinfo: { enabled: true },
      revocation: {
        enabled: true,
        // A public client may revoke only its own tokens.
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          ctx.body = logoutPage(form);
        },
        postLogoutSuccessSource(ctx) {
          ctx.body = signedOutPage();
        },
      },
      resourceIndicators: {
        enabled: true,
        // No default API: a code exchange without `resource` yields an opaque token for /me.
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo(_ctx, indicator) {
          // Logto issues JWT access tokens for API resources, signed like its ID tokens.
          const server = (scopes) => ({
            scope: scopes.join(' '),
            audience: indicator,
            accessTokenTTL: ttl.accessToken,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg } },
          });
          // Logto: asked for at sign-in so the organization scopes can be granted; the
          // organization tokens themselves come from the refresh grant (organizations.mjs).
          if (indicator === ORGANIZATIONS_RESOURCE) return server(ORGANIZATION_SCOPES);
          if (indicator === API_RESOURCE) return server(API_SCOPES);
          throw new errors.InvalidTarget();
        },
      },
    },
    // Rotate on every use; a replayed refresh token revokes the whole grant (oidc-provider).
    rotateRefreshToken: true,
    clientBasedCORS: () => false,
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ttl.accessToken,
      AuthorizationCode: 60,
      PushedAuthorizationRequest: 60,
      IdToken: ttl.idToken,
      RefreshToken: ttl.refreshToken,
      Interaction: 3600,
      Session: ttl.session,
      Grant: Math.max(ttl.refreshToken, 180 * 24 * 3600),
    },
    // Logto answers errors as JSON {error, error_description}, also on the browser-facing pages.
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
}

/** Patches oidc-provider 9 where Logto behaves differently. */
export function alignWithLogto(provider) {
  // oidc-provider 9 also ignores the port of loopback post_logout_redirect_uris for native
  // clients; Logto matches post-logout redirect URIs exactly.
  Object.defineProperty(provider.Client.prototype, 'postLogoutRedirectUriAllowed', {
    configurable: true,
    value(value) {
      return this.postLogoutRedirectUris.includes(value);
    },
  });
}
