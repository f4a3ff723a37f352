/**
 * The arms of the benchmark: what sits between the load client and the upstream stand-in. Every
 * arm gets the same OpenAI chat body on POST /v1/chat/completions and returns an OpenAI-shaped
 * answer; `does` says what each one does per request.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Target } from '../load/protocol.js';
import type { Built } from './build.js';
import type { TokenPool } from './idp.js';
import { startNginx } from './nginx.js';
import { startPortkey } from './portkey.js';
import { childPids } from './procfs.js';
import type { Proc } from './procs.js';
import { startProc } from './procs.js';
import { chatBody, MODELS } from './workload.js';

export type ArmId =
  | 'direct'
  | 'bare-proxy'
  | 'fastify-proxy'
  | 'nginx'
  | 'portkey'
  | 'llamagate-noauth'
  | 'llamagate-auth'
  | 'llamagate-auth-log';

export type Workload = keyof typeof MODELS;

export interface Arm {
  id: ArmId;
  does: string;
  /** The request each workload sends (tokens are added by the caller for auth arms). */
  target(workload: Workload): Target;
  /** Whether requests need bearer tokens. */
  auth: boolean;
  /** Processes whose CPU and memory count as the arm's (empty for direct). */
  pids(): number[];
  /** The Node process with the probe preloaded, if any. */
  probe?: Proc;
  stop(): Promise<void>;
}

export const ARM_DESCRIPTIONS: Record<ArmId, string> = {
  direct: 'client -> OpenAI-compatible stand-in /v1/chat/completions (no hop: the limit)',
  'bare-proxy':
    'node:http server -> undici Pool pass-through to the OpenAI stand-in; copies headers, streams bytes, parses nothing',
  'fastify-proxy':
    'fastify route (its JSON body parser) -> undici Pool to the OpenAI stand-in, the answer streamed back; no auth, validation or translation',
  nginx:
    'nginx proxy_pass to the OpenAI stand-in, 1 worker, upstream keep-alive, proxy_buffering off, access_log off',
  portkey:
    'Portkey gateway (provider ollama, x-portkey-custom-host = OpenAI stand-in): validates headers, parses the body, maps params, fetch() to the stand-in /v1/chat/completions, maps the response/SSE back',
  'llamagate-noauth':
    'llamagate, auth off: fastify route, zod validation of the OpenAI body, translation to Ollama /api/chat, undici Pool, NDJSON -> OpenAI JSON/SSE translation; request log off',
  'llamagate-auth':
    'as llamagate-noauth plus RS256 bearer-token authentication (embedded IdP JWKS; verified-token cache on, one token per virtual user) and access policy',
  'llamagate-auth-log':
    'as llamagate-auth plus one info-level pino request line per request, written asynchronously to a file as the product writes its log (the production shape)',
};

function openaiTarget(
  origin: string,
  workload: Workload,
  extra: Record<string, string> = {},
): Target {
  return {
    origin,
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', ...extra },
    body: chatBody(MODELS[workload], workload !== 'fast'),
  };
}

export interface ArmContext {
  built: Built;
  workDir: string;
  upstream: { ollama: string; openai: string };
  tokens?: TokenPool;
  nginxBin?: string;
  /** Core for the system under test. */
  cpu: string;
}

function runYaml(ctx: ArmContext, auth: boolean): string {
  const models = Object.values(MODELS)
    .map((m) => `  - model_id: ${m}\n    provider_id: ollama\n    provider_model_id: ${m}\n`)
    .join('');
  const idp = ctx.tokens?.idp;
  const authBlock =
    auth && idp
      ? `server:
  auth:
    provider_config:
      type: oauth2_token
      jwks:
        uri: ${idp.jwksUri}
      issuer: ${idp.issuer}
      audience: lls-client
`
      : '';
  // max_connections: 2,000 held streams must not queue behind the default pool size of 64.
  return `version: 2
image_name: bench
apis: [inference]
providers:
  inference:
    - provider_id: ollama
      provider_type: remote::ollama
      config:
        url: ${ctx.upstream.ollama}
        max_connections: 4096
models:
${models}${authBlock}`;
}

async function startLlamagate(
  ctx: ArmContext,
  id: ArmId,
  auth: boolean,
  logFile?: string,
): Promise<Arm> {
  const dir = join(ctx.workDir, id);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'run.yaml');
  writeFileSync(config, runYaml(ctx, auth));
  const proc = await startProc({
    name: id,
    command: process.execPath,
    args: [...ctx.built.probe, ...ctx.built.command('llamagate'), config, logFile ?? 'silent', dir],
    cpu: ctx.cpu,
    env: { NODE_ENV: 'production' },
  });
  const origin = `http://127.0.0.1:${proc.ready.port as number}`;
  return {
    id,
    does: ARM_DESCRIPTIONS[id],
    auth,
    target: (w) => openaiTarget(origin, w),
    pids: () => [proc.pid],
    probe: proc,
    stop: () => proc.stop(),
  };
}

/** Starts one arm (direct starts nothing). */
export async function startArm(id: ArmId, ctx: ArmContext): Promise<Arm> {
  const base = { id, does: ARM_DESCRIPTIONS[id], auth: false };
  switch (id) {
    case 'direct':
      return {
        ...base,
        target: (w) => openaiTarget(ctx.upstream.openai, w),
        pids: () => [],
        stop: async () => {},
      };
    case 'bare-proxy':
    case 'fastify-proxy': {
      const proc = await startProc({
        name: id,
        command: process.execPath,
        args: [...ctx.built.probe, ...ctx.built.command(id), ctx.upstream.openai],
        cpu: ctx.cpu,
        env: { NODE_ENV: 'production' },
      });
      const origin = `http://127.0.0.1:${proc.ready.port as number}`;
      return {
        ...base,
        target: (w) => openaiTarget(origin, w),
        pids: () => [proc.pid],
        probe: proc,
        stop: () => proc.stop(),
      };
    }
    case 'nginx': {
      if (!ctx.nginxBin) throw new Error('nginx is not available');
      const { proc, port } = await startNginx(
        ctx.nginxBin,
        join(ctx.workDir, 'nginx'),
        ctx.upstream.openai,
        ctx.cpu,
      );
      return {
        ...base,
        target: (w) => openaiTarget(`http://127.0.0.1:${port}`, w),
        pids: () => [proc.pid, ...childPids(proc.pid)],
        stop: () => proc.stop(),
      };
    }
    case 'portkey': {
      const { proc, port } = await startPortkey(ctx.built.probe, ctx.cpu);
      const headers = {
        'x-portkey-provider': 'ollama',
        'x-portkey-custom-host': ctx.upstream.openai,
      };
      return {
        ...base,
        target: (w) => openaiTarget(`http://127.0.0.1:${port}`, w, headers),
        pids: () => [proc.pid],
        probe: proc,
        stop: () => proc.stop(),
      };
    }
    case 'llamagate-noauth':
      return startLlamagate(ctx, id, false);
    case 'llamagate-auth':
      return startLlamagate(ctx, id, true);
    case 'llamagate-auth-log':
      return startLlamagate(ctx, id, true, join(ctx.workDir, 'llamagate-requests.log'));
  }
}
