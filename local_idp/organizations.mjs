// Logto organization tokens (Logto 1.37.1, packages/core/src/oidc/grants/refresh-token.ts):
// the refresh-token grant with `organization_id` (and no `resource`) answers an `at+jwt` for
// `urn:logto:organization:<id>` whose scope is the member's role scopes among those granted.
// It rotates the refresh token like any refresh, so this wraps oidc-provider's own grant:
// rotation, replay detection and the ID token stay oidc-provider's.
//
// Refusals, as Logto sends them (the refresh token is not used up): not a member or an unknown
// organization: 403 access_denied; a refresh token without the organizations scope: 403
// insufficient_scope.

import { randomBytes } from 'node:crypto';

import { SignJWT, importJWK } from 'jose';
import { errors } from 'oidc-provider';
import instance from 'oidc-provider/lib/helpers/weak_cache.js';

import { ORGANIZATION_ROLE_SCOPES, ORGANIZATIONS_RESOURCE, ORGANIZATIONS_SCOPE } from './provider.mjs';

const ORGANIZATION_TOKEN_TTL = 3600; // Logto's default for organization tokens

function forbidden(error) {
  // oidc-provider answers access_denied with 400; Logto's organization grant says 403.
  error.status = 403;
  error.statusCode = 403;
  return error;
}

/**
 * @param {import('oidc-provider').default} provider
 * @param {{ signingJwk: object, users: import('./users.mjs').UserStore }} options
 */
export function enableOrganizationTokens(provider, { signingJwk, users }) {
  const { grantTypeHandlers } = instance(provider);
  const refreshGrant = grantTypeHandlers.get('refresh_token');
  const { alg, kid } = signingJwk;
  const keyPromise = importJWK(signingJwk, alg);

  async function refreshOrOrganizationGrant(ctx) {
    const organizationId = ctx.oidc.params.organization_id;
    if (!organizationId) return refreshGrant(ctx);

    const refreshToken = await provider.RefreshToken.find(ctx.oidc.params.refresh_token);
    if (!refreshToken || refreshToken.consumed || refreshToken.clientId !== ctx.oidc.client.clientId) {
      return refreshGrant(ctx); // oidc-provider's invalid_grant (and its replay detection)
    }
    if (!refreshToken.scopes.has(ORGANIZATIONS_SCOPE)) {
      throw new errors.InsufficientScope('refresh token does not have the organizations scope', ORGANIZATIONS_SCOPE);
    }
    const membership = users.findBySub(refreshToken.accountId)?.organizations
      ?.find(({ id }) => id === organizationId);
    if (!membership) {
      throw forbidden(new errors.AccessDenied('user is not a member of the organization'));
    }
    const grant = await provider.Grant.find(refreshToken.grantId);
    const granted = new Set((grant?.getResourceScope(ORGANIZATIONS_RESOURCE) ?? '').split(' '));

    await refreshGrant(ctx); // rotates the refresh token, issues the ID token

    const roleScopes = new Set(membership.roles.flatMap((role) => ORGANIZATION_ROLE_SCOPES[role] ?? []));
    const scope = [...roleScopes].filter((s) => granted.has(s)).join(' ');
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({ client_id: ctx.oidc.client.clientId, scope })
      .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
      .setIssuer(provider.issuer)
      .setSubject(refreshToken.accountId)
      .setAudience(`urn:logto:organization:${organizationId}`)
      .setIssuedAt(now)
      .setExpirationTime(now + ORGANIZATION_TOKEN_TTL)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(await keyPromise);
    ctx.body = {
      ...ctx.body,
      access_token: accessToken,
      expires_in: ORGANIZATION_TOKEN_TTL,
      token_type: 'Bearer',
      scope,
    };
    return undefined;
  }

  provider.registerGrantType(
    'refresh_token',
    refreshOrOrganizationGrant,
    ['refresh_token', 'scope', 'resource', 'organization_id'],
    ['resource'],
  );
}
