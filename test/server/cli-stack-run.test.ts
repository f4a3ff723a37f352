import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { postJson } from '../support/stack.js';

const ROOT = process.cwd();
/** By URL, so that a child started in another directory finds it too. */
const TSX = import.meta.resolve('tsx');

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

/** Starts `llamagate stack run` as a child process. */
function stackRun(args: string[], cwd?: string): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, LLAMAGATE_LOG_LEVEL: 'info' };
  // Only the flags under test may decide the Ollama URL and the port.
  delete env.OLLAMA_URL;
  delete env.LLAMA_STACK_PORT;
  const child = spawn(
    process.execPath,
    ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'stack', 'run', ...args],
    { env, cwd: cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout!.on('data', (c: Buffer) => (run.stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (run.stderr += c.toString('utf8')));
  return run;
}

/** Waits for the `stack server listening` log line and returns its url. */
async function listeningUrl(run: Run, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const line of run.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'stack server listening' && entry.url) return entry.url;
    }
    if (run.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no listening line; stdout: ${run.stdout}\nstderr: ${run.stderr}`);
}

// The three runs are independent child processes: run them side by side.
describe('llamagate stack run (child process)', { concurrency: true }, () => {
  let ollama: OllamaStandin;
  let dir: string;
  const children: ChildProcess[] = [];

  before(async () => {
    ollama = await startOllamaStandin();
    dir = await mkdtemp(join(tmpdir(), 'llamagate-cli-'));
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await ollama.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the tutorial run.yaml (auth removed) with --env OLLAMA_URL and --port 0', async () => {
    const tutorial = await readFile('configs/run.yaml', 'utf8');
    const withoutAuth = tutorial.replace(/\n {2}auth:\n(?: {4,}.*\n?)*/, '\n');
    assert.ok(!withoutAuth.includes('auth:'), withoutAuth);
    const config = join(dir, 'tutorial-run.yaml');
    await writeFile(config, withoutAuth);

    const run = stackRun(['--config', config, '--port', '0', '--env', `OLLAMA_URL=${ollama.url}`]);
    children.push(run.child);
    const url = await listeningUrl(run);
    assert.match(url, /^http:\/\/localhost:\d+$/);
    assert.notEqual(url, 'http://localhost:8321', '--port 0 wins over server.port');

    const res = await postJson(`${url}/v1/inference/chat-completion`, {
      model_id: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'Hello from Llama Stack!' }],
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.completion_message.content, 'Hello! Happy to help.');
    assert.equal(ollama.requests.at(-1)?.path, '/api/chat');

    run.child.kill('SIGTERM');
    assert.equal(await run.exit, 0, 'SIGTERM shuts down cleanly');
  });

  it('a required ${env...} variable that is not set → exit 1 with one message naming it', async () => {
    const config = join(dir, 'missing-env.yaml');
    await writeFile(
      config,
      [
        'version: 2',
        'providers:',
        '  inference:',
        '    - provider_id: ollama',
        '      provider_type: remote::ollama',
        '      config:',
        '        url: ${env.LLAMAGATE_TEST_UNSET_OLLAMA_URL}',
        '',
      ].join('\n'),
    );
    const run = stackRun(['--config', config, '--port', '0']);
    children.push(run.child);
    assert.equal(await run.exit, 1, run.stderr);
    assert.match(run.stderr, /missing-env\.yaml/);
    assert.match(run.stderr, /providers\.inference\[0\]\.config\.url/);
    assert.match(run.stderr, /LLAMAGATE_TEST_UNSET_OLLAMA_URL/);
    assert.equal(run.stderr.match(/llamagate:/g)?.length, 1, run.stderr);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(!run.stdout.includes('stack server listening'));
  });

  it('an unknown flag → exit 2 with the flag named and where to find the options, no stack trace', async () => {
    const run = stackRun(['--config', 'configs/run.yaml', '--prot', '1']);
    children.push(run.child);
    assert.equal(await run.exit, 2, run.stderr);
    assert.match(run.stderr, /^llamagate: Unknown option '--prot'/);
    assert.match(run.stderr, /Run 'llamagate stack --help' for its options\./);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });

  it('no --config outside a checkout → exit 1 saying no path was given and what to pass', async () => {
    const run = stackRun([], dir);
    children.push(run.child);
    assert.equal(await run.exit, 1, run.stderr);
    assert.match(run.stderr, /no --config given, and there is no configs\/run\.yaml in /);
    assert.match(run.stderr, /pass --config path\/to\/run\.yaml/);
  });

  it('an unknown provider_type → exit 1 with a message listing the known types', async () => {
    const config = join(dir, 'unknown-provider.yaml');
    await writeFile(
      config,
      [
        'version: 2',
        'providers:',
        '  inference:',
        '    - provider_id: fancy',
        '      provider_type: remote::fancy',
        '      config: {}',
        '',
      ].join('\n'),
    );
    const run = stackRun(['--config', config, '--port', '0']);
    children.push(run.child);
    assert.equal(await run.exit, 1, run.stderr);
    assert.match(run.stderr, /unknown-provider\.yaml/);
    assert.match(run.stderr, /remote::fancy/);
    assert.match(run.stderr, /remote::ollama/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });
});
