/**
 * Runs the request-path micro-benchmarks and prints one JSON object on stdout. Usage: run
 * [--quick]. Token verification has its own script, bench/micro/auth-verify.ts.
 * The suite runs it pinned to the gateway's core with nothing else there.
 */
import { translateMicro } from './translate.js';

const quick = process.argv.includes('--quick');
const results = await translateMicro(quick);
process.stdout.write(`${JSON.stringify({ node: process.version, results })}\n`);
