import { createServer } from 'node:net';
import { ConfigError } from '../errors/errors.js';

/** One port `llamagate dev` is about to listen on, and how the user can change it. */
export interface PortClaim {
  port: number;
  /** e.g. 'identity provider' */
  what: string;
  flag: string;
  env: string;
  /** What usually holds this port on a machine that followed the tutorial. */
  usualSuspect: string;
}

function isFree(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

/**
 * Fails fast, before keys are generated and models loaded, when a port `llamagate dev` needs is
 * taken or named twice. The message names the flag and the variable that change it, since
 * `npm start` users may not know that `npm start -- --idp-port 9080` exists.
 */
export async function ensurePortsFree(host: string, claims: PortClaim[]): Promise<void> {
  const fixed = claims.filter((c) => c.port !== 0);
  for (const [i, claim] of fixed.entries()) {
    const other = fixed.slice(0, i).find((c) => c.port === claim.port);
    if (other)
      throw new ConfigError(
        `the ${other.what} and the ${claim.what} are both set to port ${claim.port}; ` +
          `give one of them another port (${claim.flag} N or ${claim.env})`,
      );
  }
  for (const claim of fixed) {
    const err = await isFree(host, claim.port);
    if (!err) continue;
    const state =
      err.code === 'EADDRINUSE'
        ? `is already in use (${claim.usualSuspect} still running?)`
        : `cannot be opened (${err.code ?? err.message})`;
    throw new ConfigError(
      `port ${claim.port} on ${host} for the ${claim.what} ${state}; choose another with ` +
        `${claim.flag} N (npm start -- ${claim.flag} N) or ${claim.env}`,
    );
  }
}
