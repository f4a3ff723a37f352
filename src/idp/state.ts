import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import type { Logger } from '../logging/logger.js';
import type { Realm } from './realm/model.js';
import type { TokenSigner } from './signer.js';

/** What the hand-written endpoints share with each other and with the oidc-provider glue. */
export interface IdpState {
  realm: Realm;
  /** `http://host:port/realms/<realm>`, exactly the `iss` of every token. */
  issuer: string;
  signer: TokenSigner;
  log: Logger;
  /**
   * Hands a request to oidc-provider. `form` replaces the (already consumed) request body, for
   * token requests the IdP pre-authenticated and passes on.
   */
  forward(req: IncomingMessage, res: ServerResponse, form?: URLSearchParams): Promise<void>;
  /** The oidc-provider instance serving right now (it is replaced when keys rotate). */
  provider(): Provider;
}

/** Peer address as Keycloak reports it in `clientAddress` (IPv4-mapped IPv6 unwrapped). */
export function peerAddress(req: IncomingMessage): string | undefined {
  const address = req.socket.remoteAddress;
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}
