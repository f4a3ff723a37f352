/**
 * The gateway under test as its own process: loads a run.yaml and starts the stack on
 * 127.0.0.1:0 exactly as `llamagate stack run` does, with the logger the arm asks for.
 * Usage: llamagate <run.yaml> <silent|LOGFILE> <data-dir>; prints {"port":N} once listening.
 */
import { readFileSync } from 'node:fs';
import { parseRunConfig } from '../../src/config/load.js';
import { createLogger, logDestination, silentLogger } from '../../src/logging/logger.js';
import { startStack } from '../../src/stack/index.js';

const [configPath, logTo, dataDir] = process.argv.slice(2) as [string, string, string];
const loaded = parseRunConfig(readFileSync(configPath, 'utf8'), configPath, { env: {} });
// The log file is written the way the product writes its stdout log (logDestination in
// src/logging/logger.ts), so the arm measures the production shape.
const log =
  logTo === 'silent'
    ? silentLogger()
    : createLogger({ name: 'stack', destination: logDestination(logTo) });
const stack = await startStack(loaded, { port: 0, host: '127.0.0.1', log, dataDir });
process.stdout.write(`${JSON.stringify({ port: stack.port })}\n`);
process.on('SIGTERM', () => void stack.close().then(() => process.exit(0)));
