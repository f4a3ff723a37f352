/**
 * The upstream process of the benchmark: the product's Ollama stand-in (native /api/chat, for the
 * gateway arms) and the OpenAI-compatible stand-in (for the direct, proxy, nginx and Portkey
 * arms), with the same replies and timings. Prints `{"ollama":URL,"openai":URL}` on stdout and
 * runs until stdin closes.
 */
import { startOllamaStandin } from '../../test/support/ollama-standin.js';
import * as w from '../lib/workload.js';
import { startOpenAIStandin } from './openai-standin.js';

const streamTiming = {
  tokens: w.streamTokens(w.STREAM_TOKENS),
  firstTokenDelayMs: w.STREAM_FIRST_TOKEN_MS,
  tokenDelayMs: w.STREAM_TOKEN_GAP_MS,
};
const slowTiming = {
  tokens: w.streamTokens(w.SLOW_TOKENS),
  firstTokenDelayMs: w.SLOW_FIRST_TOKEN_MS,
  tokenDelayMs: w.SLOW_TOKEN_GAP_MS,
};

const ollama = await startOllamaStandin({
  reply: w.FAST_REPLY,
  models: Object.values(w.MODELS).map((name) => ({ name, family: 'llama' })),
});
ollama.script(
  { model: w.MODELS.stream, times: Infinity, reuseFrames: true, ...streamTiming },
  { model: w.MODELS.slow, times: Infinity, reuseFrames: true, ...slowTiming },
);
const openai = await startOpenAIStandin([
  { name: w.MODELS.fast, reply: w.FAST_REPLY, tokens: w.streamTokens(8) },
  { name: w.MODELS.stream, reply: w.FAST_REPLY, ...streamTiming },
  { name: w.MODELS.slow, reply: w.FAST_REPLY, ...slowTiming },
]);

// The stand-ins record every request for tests; a benchmark sends millions, so forget them.
setInterval(() => {
  ollama.requests.length = 0;
  openai.requests.length = 0;
}, 200).unref();

process.stdout.write(`${JSON.stringify({ ollama: ollama.url, openai: openai.url })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void Promise.all([ollama.close(), openai.close()]).then(() => process.exit(0));
});
