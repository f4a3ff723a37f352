import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDev } from '../../dev/index.js';
import type { RunningDev } from '../../dev/index.js';
import { ConfigError } from '../../errors/errors.js';
import { createLogger } from '../../logging/logger.js';
import { onShutdown } from './signals.js';

const HELP = `llamagate dev [options]

Starts the identity provider, the stack server and the client service, wired together.

  --host         listen address for all three (default 127.0.0.1)
  --idp-port     identity provider port (default 8080, or the port of KEYCLOAK_BASE_URL)
  --stack-port   stack server port (default LLAMA_STACK_PORT, else 8321)
  --client-port  client service port (default CLIENT_PORT, else 8000)
  --config       run.yaml for the stack server (default ./configs/run.yaml, else the tutorial's
                 run.yaml shipped with llamagate)
  --data-dir     keys, quotas and generated models (default .llamagate)

Inference goes to Ollama at OLLAMA_URL (default http://localhost:11434). When no Ollama answers,
the embedded engine runs LLAMA_CPP_MODEL (a .gguf file), else INFERENCE_MODEL from the local
Ollama store, else a generated tiny model that produces random text.`;

function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ConfigError(`${flag} must be a port number, got '${value}'`);
  return n;
}

/** The checkout's run.yaml (npm start), else the package's own copy (npx llamagate dev). */
function defaultConfig(): string {
  const local = 'configs/run.yaml';
  if (existsSync(local)) return local;
  // src/cli/commands and dist/cli/commands are both three levels below the package root.
  return fileURLToPath(new URL('../../../configs/run.yaml', import.meta.url));
}

function portOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).port || undefined;
  } catch {
    return undefined;
  }
}

/** `llamagate token` reads KEYCLOAK_BASE_URL; it needs saying only when it is not the default. */
function tokenCommand(dev: RunningDev): string {
  const base = dev.idp.issuer.slice(0, -`/realms/${dev.idp.realm}`.length);
  const prefix = base === 'http://localhost:8080' ? '' : `KEYCLOAK_BASE_URL=${base} `;
  return `TOKEN=$(${prefix}npx llamagate token)`;
}

/** Things the user must know before trying it: a missing Ollama model, random-text output. */
function notes(dev: RunningDev): string[] {
  const notes: string[] = [];
  if (
    dev.inference.kind === 'ollama' &&
    !dev.inference.models.some((m) => m === dev.modelId || m === `${dev.modelId}:latest`)
  ) {
    notes.push(`NOTE: Ollama has no model '${dev.modelId}'. Run: ollama pull ${dev.modelId}`);
  }
  if (dev.inference.kind === 'llama-cpp' && dev.inference.notice)
    notes.push(`NOTE: ${dev.inference.notice}`);
  return notes.length > 0 ? ['', ...notes] : [];
}

function banner(dev: RunningDev): string {
  const invoke = `${dev.client.url}/api/invoke`;
  return [
    '',
    'llamagate is running:',
    `  identity provider  ${dev.idp.issuer}   (client lls-client, realm lls-auth)`,
    `  stack server       ${dev.stack.url}   ` +
      '(run.yaml auth: bearer tokens from the identity provider)',
    `  client service     ${dev.client.url}`,
    dev.inference.kind === 'ollama'
      ? `  inference          Ollama at ${dev.inference.url}, model ${dev.modelId}`
      : `  inference          embedded llama.cpp engine, model ${dev.modelId}`,
    ...notes(dev),
    '',
    'Try it:',
    `  curl -s -X POST ${invoke} -H "Content-Type: application/json" ` +
      `-d '{"prompt": "Who are you?"}'`,
    '',
    'Or call the stack server directly with a token:',
    `  ${tokenCommand(dev)}`,
    `  curl -s -X POST ${dev.stack.url}/v1/inference/chat-completion ` +
      '-H "Authorization: Bearer $TOKEN" \\',
    `    -H "Content-Type: application/json" -d '{"model_id":"${dev.modelId}",` +
      `"messages":[{"role":"user","content":"Hello from Llama Stack!"}]}'`,
    '',
    'Ctrl-C stops everything.',
  ].join('\n');
}

/** `llamagate dev` / `npm start`: the whole tutorial flow in one command. */
export async function runDevCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      'idp-port': { type: 'string' },
      'stack-port': { type: 'string' },
      'client-port': { type: 'string' },
      config: { type: 'string' },
      'data-dir': { type: 'string', default: '.llamagate' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return void console.log(HELP);

  const env = process.env;
  const log = createLogger({ name: 'dev', level: env.LLAMAGATE_LOG_LEVEL ?? 'info' });
  const dev = await startDev({
    host: values.host,
    idpPort: port(values['idp-port'] ?? portOf(env.KEYCLOAK_BASE_URL), 8080, '--idp-port'),
    stackPort: port(values['stack-port'] ?? env.LLAMA_STACK_PORT, 8321, '--stack-port'),
    clientPort: port(values['client-port'] ?? env.CLIENT_PORT, 8000, '--client-port'),
    config: values.config ?? defaultConfig(),
    dataDir: values['data-dir'],
    env,
    log,
  });
  console.log(banner(dev));
  onShutdown(async () => {
    console.log('\nstopping...');
    await dev.close();
  });
}
