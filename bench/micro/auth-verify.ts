/**
 * Micro-benchmark of bearer authentication: median microseconds per `authenticate()` for RS256
 * (2048-bit) tokens, cold (every token new, so a full signature check) versus cached (the same
 * token again, served from the verified-token cache).
 *
 *   node --import tsx bench/micro/auth-verify.ts [iterations]
 */
import { authConfigSchema } from '../../src/auth/config.js';
import { createAuthenticator } from '../../src/auth/index.js';
import type { RequestInfo } from '../../src/auth/types.js';
import { silentLogger } from '../../src/logging/logger.js';
import { startJwksServer } from '../../test/support/jwks-server.js';
import {
  AUDIENCE,
  generateTestKey,
  ISSUER,
  keycloakClaims,
  mintToken,
} from '../../test/support/tokens.js';

const iterations = Number(process.argv[2] ?? 2000);

function request(token: string): RequestInfo {
  return {
    method: 'GET',
    url: '/v1/models',
    headers: { authorization: `Bearer ${token}` },
    ip: '127.0.0.1',
  };
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeEach(
  tokens: string[],
  run: (token: string) => Promise<unknown>,
): Promise<number[]> {
  const samples: number[] = [];
  for (const token of tokens) {
    const start = process.hrtime.bigint();
    await run(token);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return samples;
}

const key = await generateTestKey('RS256');
const idp = await startJwksServer([key.publicJwk]);
const auth = createAuthenticator(
  authConfigSchema.parse({
    provider_config: {
      type: 'oauth2_token',
      jwks: { uri: idp.uri },
      issuer: ISSUER,
      audience: AUDIENCE,
    },
  }),
  { log: silentLogger() },
);
await auth.start();

try {
  const fresh = await Promise.all(
    Array.from({ length: iterations + 100 }, (_, i) =>
      mintToken(key, keycloakClaims({ jti: `bench-${i}` })),
    ),
  );
  // Warm-up: JIT, key import, first cache allocations.
  for (const token of fresh.slice(0, 100)) await auth.authenticate(request(token));

  const cold = await timeEach(fresh.slice(100), (t) => auth.authenticate(request(t)));
  const same = Array.from({ length: iterations }, () => fresh[0]!);
  const cached = await timeEach(same, (t) => auth.authenticate(request(t)));

  const coldUs = median(cold);
  const cachedUs = median(cached);
  process.stdout.write(
    `auth-verify RS256-2048, ${iterations} iterations (node ${process.version})\n` +
      `  cold   (signature check): median ${coldUs.toFixed(1)} µs\n` +
      `  cached (token digest)   : median ${cachedUs.toFixed(1)} µs\n` +
      `  speed-up                : ${(coldUs / cachedUs).toFixed(1)}x\n`,
  );
} finally {
  await auth.close();
  await idp.close();
}
