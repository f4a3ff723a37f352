/**
 * Portkey's open-source gateway (npm @portkey-ai/gateway, Node build) as an arm, with its default
 * settings, its UI off (--headless, NODE_ENV=production) and the probe preloaded (loopback only).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from './build.js';
import type { Proc } from './procs.js';
import { freePort, startProc } from './procs.js';

const PKG = join(ROOT_DIR, 'node_modules/@portkey-ai/gateway');

/** The installed version, or why it cannot run. */
export function portkeyStatus(): { version: string } | { unavailable: string } {
  const pkg = join(PKG, 'package.json');
  if (!existsSync(pkg)) return { unavailable: '@portkey-ai/gateway is not installed' };
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  if (!existsSync(join(PKG, 'build/start-server.js'))) {
    return { unavailable: `@portkey-ai/gateway ${version} has no build/start-server.js` };
  }
  return { version };
}

export async function startPortkey(
  probe: string[],
  cpu: string,
): Promise<{ proc: Proc; port: number }> {
  const port = await freePort();
  const proc = await startProc({
    name: 'portkey',
    command: process.execPath,
    args: [...probe, join(PKG, 'build/start-server.js'), `--port=${port}`, '--headless'],
    cpu,
    env: { NODE_ENV: 'production' },
    cwd: PKG,
    readyWhen: async () => {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      await res.arrayBuffer();
      return res.ok;
    },
  });
  return { proc, port };
}
