import assert from 'node:assert/strict';
import { connect } from 'node:net';

/**
 * Opens a raw connection, announces a body of `bodyBytes`, then sends it one byte every
 * `gapMs`, as a slow-loris client would. Resolves with what the server wrote back and how long
 * the connection stayed open, or with `open: true` if it was still open after `giveUpMs`.
 */
export function trickleRequest(
  url: string,
  path: string,
  options: { bodyBytes: number; gapMs: number; giveUpMs: number },
): Promise<{ open: boolean; reply: string; ms: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let reply = '';
    let sent = 0;
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${options.bodyBytes}\r\n\r\n`,
      );
    });
    const drip = setInterval(() => {
      if (sent < options.bodyBytes - 1 && !socket.destroyed) {
        socket.write(' ');
        sent++;
      }
    }, options.gapMs);
    const finish = (open: boolean) => {
      clearInterval(drip);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ open, reply, ms: performance.now() - started });
    };
    const giveUp = setTimeout(() => finish(true), options.giveUpMs);
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (reply += text));
    socket.on('close', () => finish(false));
    socket.on('error', (err) => {
      clearInterval(drip);
      clearTimeout(giveUp);
      reject(err);
    });
  });
}

/** Sends `text` as is on a new connection and resolves with everything read until it closes. */
export function rawRequest(url: string, text: string, timeoutMs = 5000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let reply = '';
    const socket = connect(Number(port), hostname, () => socket.end(text));
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(reply);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Trickles a request to a server whose receive timeout is 0.4 s and checks that it answers 408
 * in the error envelope and closes the connection well before the body could have arrived.
 */
export async function assertTrickleCutOff(url: string, path: string): Promise<void> {
  const slow = await trickleRequest(url, path, { bodyBytes: 1000, gapMs: 50, giveUpMs: 5000 });
  assert.equal(slow.open, false, 'the trickling client still holds its connection');
  assert.match(slow.reply, /^HTTP\/1\.1 408 /);
  assert.match(slow.reply, /the request did not arrive whole within 0\.4 s/);
  assert.ok(slow.ms < 2000, `cut after ${Math.round(slow.ms)} ms`);
}

/**
 * Sends `texts` one after the other on one connection, each once the previous answer has come
 * (an answer is taken to be complete after 200 ms without data); resolves with the answers.
 */
export function sequentialRequests(url: string, texts: string[]): Promise<string[]> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const replies: string[] = [];
    let current = '';
    let quiet: NodeJS.Timeout | undefined;
    const socket = connect(Number(port), hostname, () => socket.write(texts[0]!));
    const next = () => {
      replies.push(current);
      current = '';
      if (replies.length < texts.length && !socket.destroyed) socket.write(texts[replies.length]!);
      else socket.end();
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      current += chunk;
      clearTimeout(quiet);
      quiet = setTimeout(next, 200);
    });
    socket.on('close', () => {
      clearTimeout(quiet);
      if (current) replies.push(current);
      resolve(replies);
    });
    socket.on('error', reject);
  });
}
