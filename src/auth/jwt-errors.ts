import { errors } from 'jose';
import { AuthenticationError, GatewayError } from '../errors/errors.js';

/** Claim values from a token are echoed in messages; keep them short and printable. */
export function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return 'nothing';
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 120 ? `${clean.slice(0, 117)}...` : clean;
}

export function listOf(value: string | readonly string[]): string {
  return Array.isArray(value) ? value.join(' or ') : String(value);
}

export function isoTime(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return show(seconds);
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? show(seconds) : date.toISOString().replace('.000Z', 'Z');
}

export interface ExpectedClaims {
  issuer: string | readonly string[] | null | undefined;
  audience: string | readonly string[];
  algorithms: readonly string[];
}

/**
 * Turns a jose failure into a 401 that names the failed check. jose only validates claims after
 * the signature, so the claim values quoted here come from a genuinely signed token.
 */
export function toAuthError(err: unknown, alg: string, expected: ExpectedClaims): GatewayError {
  if (err instanceof GatewayError) return err; // raised by our key resolver
  if (err instanceof errors.JWTExpired) {
    return new AuthenticationError(`token expired at ${isoTime(err.payload.exp)}`);
  }
  if (err instanceof errors.JWTClaimValidationFailed) return claimError(err, expected);
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return new AuthenticationError(
      `token algorithm ${show(alg)} not accepted (accepted: ${expected.algorithms.join(', ')})`,
    );
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthenticationError('invalid signature');
  }
  if (err instanceof errors.JOSENotSupported) {
    // jose quotes header values it does not support (e.g. `crit` names) from unsigned input.
    return new AuthenticationError(`unsupported token: ${show(err.message)}`);
  }
  return new AuthenticationError('malformed token', 'invalid_token', { detail: err });
}

function claimError(err: errors.JWTClaimValidationFailed, expected: ExpectedClaims): GatewayError {
  const { claim, reason, payload } = err;
  if (reason === 'missing') {
    const hint =
      claim === 'aud'
        ? ` (expected ${listOf(expected.audience)}; with Keycloak add an Audience mapper for it)`
        : '';
    return new AuthenticationError(`missing required claim ${claim}${hint}`);
  }
  switch (claim) {
    case 'iss':
      return new AuthenticationError(
        `wrong issuer: expected ${listOf(expected.issuer ?? [])}, token has ${show(payload.iss)}`,
      );
    case 'aud': {
      const has = Array.isArray(payload.aud) ? payload.aud.map(show).join(', ') : show(payload.aud);
      return new AuthenticationError(
        `wrong audience: expected ${listOf(expected.audience)}, token has [${has}] ` +
          '(with Keycloak, add an Audience mapper for the expected audience to the client)',
      );
    }
    case 'nbf':
      return new AuthenticationError(`token not valid before ${isoTime(payload.nbf)}`);
    default:
      return new AuthenticationError(`invalid claim ${claim}: ${err.message}`);
  }
}
