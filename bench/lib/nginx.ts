/** nginx as a reverse proxy arm: own config in a temp dir, one worker, upstream keep-alive. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Proc } from './procs.js';
import { freePort, startProc } from './procs.js';

function which(cmd: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${cmd}`])
        .toString()
        .trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** Path of the nginx binary; installs Debian's nginx-light when it is missing. */
export function ensureNginx(log: (line: string) => void): string {
  const found = which('nginx') ?? (which('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined);
  if (found) return found;
  log('nginx is missing; installing Debian package nginx-light');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'nginx-light'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const installed = which('nginx') ?? '/usr/sbin/nginx';
  return installed;
}

/** `nginx -v` prints its version on stderr. */
export function nginxVersion(bin: string): string {
  const res = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  return `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().replace(/^nginx version: /, '');
}

/** Starts nginx on a loopback port in front of `upstream` (http://127.0.0.1:PORT). */
export async function startNginx(
  bin: string,
  dir: string,
  upstream: string,
  cpu: string,
): Promise<{ proc: Proc; port: number }> {
  mkdirSync(join(dir, 'tmp'), { recursive: true, mode: 0o777 });
  const port = await freePort();
  const up = new URL(upstream);
  // proxy_buffering off: SSE must pass through event by event, as every other arm does.
  const conf = `daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 20000;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'tmp')};
  proxy_temp_path ${join(dir, 'tmp')};
  fastcgi_temp_path ${join(dir, 'tmp')};
  uwsgi_temp_path ${join(dir, 'tmp')};
  scgi_temp_path ${join(dir, 'tmp')};
  keepalive_timeout 60s;
  keepalive_requests 1000000;
  upstream standin {
    server ${up.hostname}:${up.port};
    keepalive 256;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://standin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 300s;
    }
  }
}
`;
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, conf);
  const proc = await startProc({
    name: 'nginx',
    command: bin,
    args: ['-p', dir, '-c', confPath, '-e', join(dir, 'error.log')],
    cpu,
    readyWhen: async () => {
      const res = await fetch(`http://127.0.0.1:${port}/ready`, { method: 'GET' });
      await res.arrayBuffer();
      return true;
    },
  });
  return { proc, port };
}
