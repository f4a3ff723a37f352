import type { IncomingMessage, ServerResponse } from 'node:http';
import { secretsEqual } from '../client-auth.js';
import { readForm } from '../http-util.js';
import { OAuthError } from '../oauth-error.js';
import { loginPage } from '../provider/pages.js';
import { findUser } from '../realm/model.js';
import type { RealmUser } from '../realm/model.js';
import type { IdpState } from '../state.js';

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(html),
  });
  res.end(html);
}

/** Checks a browser login; returns the user or the message Keycloak shows on its login page. */
function checkLogin(state: IdpState, username: string, password: string): RealmUser | string {
  const user = findUser(state.realm, username);
  const ok =
    user !== undefined &&
    user.serviceAccountClientId === undefined &&
    user.password !== undefined &&
    secretsEqual(user.password, password);
  if (!ok) return 'Invalid username or password.';
  if (!user.enabled) return 'Account is disabled, contact your administrator.';
  if (user.setupPending || !user.email || !user.firstName || !user.lastName) {
    return 'Account is not fully set up.';
  }
  return user;
}

/**
 * `GET|POST /realms/<realm>/login-actions/<uid>`: the username/password page of the
 * authorization-code flow. oidc-provider owns the interaction (its cookie names the uid); this
 * page only checks the credentials and reports the result back to it.
 */
export async function handleLogin(
  state: IdpState,
  uid: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const provider = state.provider();
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    throw new OAuthError(
      400,
      'invalid_request',
      'Login session not found or expired; start the login again',
    );
  }
  if (details.uid !== uid)
    throw new OAuthError(400, 'invalid_request', 'Login session does not match this page');
  const clientId = String(details.params.client_id ?? '');
  const action = `/realms/${state.realm.name}/login-actions/${uid}`;

  if (details.prompt.name === 'consent') {
    // Keycloak asks for consent only when a client demands it; none here does.
    const grant = new provider.Grant({ accountId: details.session!.accountId, clientId });
    const missing = details.prompt.details.missingOIDCScope as string[] | undefined;
    if (missing) grant.addOIDCScope(missing.join(' '));
    const grantId = await grant.save();
    return provider.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  }
  if (req.method === 'GET')
    return sendHtml(res, 200, loginPage({ realm: state.realm.name, clientId, action }));
  if (req.method !== 'POST') throw new OAuthError(405, 'invalid_request', 'Use GET or POST');

  const { params } = await readForm(req);
  const username = params.get('username') ?? '';
  const result = checkLogin(state, username, params.get('password') ?? '');
  if (typeof result === 'string') {
    state.log.info({ event: 'login_failed', clientId }, 'browser login failed');
    return sendHtml(
      res,
      200,
      loginPage({ realm: state.realm.name, clientId, action, username, error: result }),
    );
  }
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: result.id, amr: ['pwd'], acr: '1' } },
    { mergeWithLastSubmission: false },
  );
}
