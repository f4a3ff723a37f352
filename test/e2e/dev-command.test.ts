/**
 * `llamagate dev` (what `npm start` runs) as one real process: the banner's commands work when
 * pasted into a shell, Ctrl-C stops all three servers, and without Ollama the embedded engine
 * with the generated tiny model answers, saying plainly that its text is random.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import {
  REPO_ROOT,
  freePort,
  portIsFree,
  scrubbedEnv,
  startCli,
  stopAll,
} from '../support/processes.js';
import type { CliProcess } from '../support/processes.js';
import { fetchToken, scratchDir } from './servers.js';

const sh = promisify(execFile);
const REPLY = 'Hello from the stand-in llama.';
/** What `npx llamagate` stands for in the banner, runnable from any directory. */
const LLAMAGATE = `node --import ${import.meta.resolve('tsx')} ${join(REPO_ROOT, 'src/cli/main.ts')}`;

interface Banner {
  text: string;
  issuer: string;
  stackUrl: string;
  clientUrl: string;
  /** The "Try it" curl line. */
  invokeCurl: string;
  /** The TOKEN=$(...) line and the curl to the stack server under it. */
  directScript: string;
}

async function readBanner(proc: CliProcess): Promise<Banner> {
  const [text] = await proc.waitForOutput(
    /llamagate is running:[\s\S]*Ctrl-C stops everything\./,
    90_000,
  );
  const grab = (re: RegExp) => {
    const m = re.exec(text);
    assert.ok(m, `banner has ${re}:\n${text}`);
    return m[1]!;
  };
  const lines = text.split('\n').map((l) => l.trim());
  const tokenAt = lines.findIndex((l) => l.startsWith('TOKEN=$('));
  assert.ok(tokenAt > 0, `banner has a TOKEN= line:\n${text}`);
  return {
    text,
    issuer: grab(/identity provider\s+(\S+)/),
    stackUrl: grab(/stack server\s+(\S+)/),
    clientUrl: grab(/client service\s+(\S+)/),
    invokeCurl: lines.find((l) => l.startsWith('curl') && l.includes('/api/invoke'))!,
    directScript: lines
      .slice(tokenAt, tokenAt + 3)
      .join('\n')
      .replaceAll('npx llamagate', LLAMAGATE),
  };
}

/** Runs banner text in a POSIX shell, as a user pasting it would. */
async function shell(
  script: string,
  cwd: string,
  vars: Record<string, string> = {},
): Promise<string> {
  const env = scrubbedEnv(vars);
  const { stdout } = await sh('sh', ['-c', script], { cwd, env, timeout: 60_000 });
  return stdout;
}

/** Ctrl-C: every port is free again afterwards and the exit code is 130 (SIGINT). */
async function interruptAndCheck(proc: CliProcess, urls: string[]): Promise<void> {
  const exit = await proc.stop('SIGINT', 20_000);
  assert.deepEqual(exit, { code: 130, signal: null }, proc.output().slice(-2000));
  assert.match(proc.stdout(), /stopping\.\.\./);
  for (const url of urls) assert.ok(await portIsFree(Number(new URL(url).port)), `${url} is free`);
}

describe('llamagate dev', { timeout: 180_000 }, () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let ollama: OllamaStandin;
  let withOllama: CliProcess;
  let embedded: CliProcess;
  let ports: { idp: number; stack: number; client: number };
  let ollamaBanner: Banner;
  let embeddedBanner: Banner;

  before(async () => {
    scratch = await scratchDir();
    ollama = await startOllamaStandin({ reply: REPLY });
    ports = { idp: await freePort(), stack: await freePort(), client: await freePort() };
    const emptyStore = join(scratch.dir, 'no-ollama-store');
    await mkdir(join(scratch.dir, 'a'));
    await mkdir(join(scratch.dir, 'b'));
    // Both run in directories without configs/: the run.yaml shipped with llamagate is used.
    withOllama = startCli(
      [
        'dev',
        ...['--idp-port', String(ports.idp), '--stack-port', String(ports.stack)],
        ...['--client-port', String(ports.client), '--data-dir', join(scratch.dir, 'a', 'data')],
      ],
      { name: 'dev (ollama)', cwd: join(scratch.dir, 'a'), env: { OLLAMA_URL: ollama.url } },
    );
    // No flags, as `npm start`: the ports come from the tutorial's variables, here all 0.
    embedded = startCli(['dev', '--data-dir', join(scratch.dir, 'b', 'data')], {
      name: 'dev (embedded)',
      cwd: join(scratch.dir, 'b'),
      env: {
        OLLAMA_URL: `http://127.0.0.1:${await freePort()}`,
        OLLAMA_MODELS: emptyStore,
        KEYCLOAK_BASE_URL: 'http://localhost:0',
        LLAMA_STACK_PORT: '0',
        CLIENT_PORT: '0',
      },
    });
    [ollamaBanner, embeddedBanner] = await Promise.all([
      readBanner(withOllama),
      readBanner(embedded),
    ]);
  });

  after(async () => {
    await stopAll();
    await ollama?.close();
    await scratch?.remove();
  });

  describe('with Ollama at OLLAMA_URL', () => {
    it('prints a banner naming the three servers on the requested ports', () => {
      assert.equal(ollamaBanner.issuer, `http://localhost:${ports.idp}/realms/lls-auth`);
      assert.equal(ollamaBanner.stackUrl, `http://127.0.0.1:${ports.stack}`);
      assert.equal(ollamaBanner.clientUrl, `http://127.0.0.1:${ports.client}`);
      assert.match(ollamaBanner.text, new RegExp(`Ollama at ${ollama.url}, model llama3\\.2:3b`));
      assert.doesNotMatch(ollamaBanner.text, /RANDOM TEXT|NOTE/);
    });

    it('the printed curl to /api/invoke works as pasted', async () => {
      const answer = JSON.parse(await shell(ollamaBanner.invokeCurl, scratch.dir));
      assert.equal(answer.completion_message.content, REPLY);
    });

    it('the printed TOKEN=$(...) and direct curl to the stack server work as pasted', async () => {
      const answer = JSON.parse(await shell(ollamaBanner.directScript, scratch.dir));
      assert.equal(answer.completion_message.content, REPLY);
      const chat = ollama.requests.filter((r) => r.path === '/api/chat').at(-1)!;
      const sent = chat.body as { messages: Array<{ content: string }> };
      assert.equal(sent.messages.at(-1)!.content, 'Hello from Llama Stack!');
    });

    it('Ctrl-C stops all three servers and frees their ports', async () => {
      await interruptAndCheck(withOllama, [
        ollamaBanner.issuer,
        ollamaBanner.stackUrl,
        ollamaBanner.clientUrl,
      ]);
    });
  });

  describe('without Ollama: the embedded engine with the tiny model', () => {
    it('the banner says plainly that the model produces random text', () => {
      assert.match(embeddedBanner.text, /embedded llama\.cpp engine, model tiny-random/);
      assert.match(embeddedBanner.text, /NOTE: .*RANDOM TEXT/);
      // Port 0 everywhere: the banner shows the ports actually bound, never ":0".
      for (const url of [embeddedBanner.issuer, embeddedBanner.stackUrl, embeddedBanner.clientUrl])
        assert.doesNotMatch(url, /:0(\/|$)/);
      assert.match(embeddedBanner.directScript, /KEYCLOAK_BASE_URL=http:\/\/localhost:\d+ /);
    });

    it('the printed curl answers 200 with some text', async () => {
      const answer = JSON.parse(await shell(embeddedBanner.invokeCurl, scratch.dir));
      assert.equal(answer.completion_message.role, 'assistant');
      assert.ok(answer.completion_message.content.trim().length > 0, JSON.stringify(answer));
    });

    it('the printed direct curl works too, and GET /v1/models lists tiny-random', async () => {
      // The TOKEN= line ran in the Ollama variant; here the token comes straight from the IdP.
      const idpBase = embeddedBanner.issuer.replace(/\/realms\/.*$/, '');
      const TOKEN = await fetchToken(idpBase);
      const curlLines = embeddedBanner.directScript.split('\n').slice(1).join('\n');
      const answer = JSON.parse(await shell(curlLines, scratch.dir, { TOKEN }));
      assert.ok(answer.completion_message.content.trim().length > 0, JSON.stringify(answer));

      const res = await fetch(`${embeddedBanner.stackUrl}/v1/models`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(res.status, 200);
      const { data } = (await res.json()) as { data: Array<{ identifier: string }> };
      assert.deepEqual(
        data.map((m) => m.identifier),
        ['tiny-random'],
      );
    });

    it('Ctrl-C stops all three servers and frees their ports', async () => {
      await interruptAndCheck(embedded, [
        embeddedBanner.issuer,
        embeddedBanner.stackUrl,
        embeddedBanner.clientUrl,
      ]);
    });
  });
});
