/**
 * Compiles the benchmark's server entries and the src/ they import to plain JavaScript in
 * bench/.build/js/, so the processes under test run compiled code without a TypeScript loader.
 * By default the product is taken from the last commit (`git archive HEAD`), so a run measures a
 * known version even while the working tree is being edited; `source: 'worktree'` takes the
 * files as they are. esbuild comes with tsx; when it cannot be loaded the entries run through
 * `--import tsx` from the working tree.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const ROOT_DIR = join(BENCH_DIR, '..');
const OUT_DIR = join(BENCH_DIR, '.build');
/** Entry name -> source under bench/. */
const ENTRIES = {
  llamagate: 'servers/llamagate.ts',
  'bare-proxy': 'servers/bare-proxy.ts',
  'fastify-proxy': 'servers/fastify-proxy.ts',
  upstream: 'servers/upstream.ts',
  probe: 'servers/probe.ts',
  client: 'load/client.ts',
  micro: 'micro/run.ts',
} as const;
export type Entry = keyof typeof ENTRIES;

export interface Built {
  /** How the servers run: `esbuild` (compiled bundles) or `tsx` (TypeScript loader). */
  mode: 'esbuild' | 'tsx';
  /** node arguments that run an entry (before the entry's own arguments). */
  command(entry: Entry): string[];
  /** node arguments that preload the probe. */
  probe: string[];
  /** What was compiled: `HEAD <sha>` or `worktree <sha>+changes`. */
  source: string;
}

/** Copies src/, test/support/ and bench/ as committed (or as they are) into `dir`. */
function snapshot(dir: string, source: 'head' | 'worktree'): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT_DIR })
    .toString()
    .trim();
  if (source === 'head') {
    const tar = execFileSync('git', ['archive', 'HEAD', 'src', 'test/support'], {
      cwd: ROOT_DIR,
      maxBuffer: 256 * 1024 * 1024,
    });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
  } else {
    cpSync(join(ROOT_DIR, 'src'), join(dir, 'src'), { recursive: true });
    cpSync(join(ROOT_DIR, 'test/support'), join(dir, 'test/support'), { recursive: true });
  }
  // The benchmark's own code is always taken as it is.
  for (const part of ['servers', 'lib', 'load', 'micro']) {
    cpSync(join(BENCH_DIR, part), join(dir, 'bench', part), { recursive: true });
  }
  const dirty = execFileSync('git', ['status', '--porcelain', 'src'], { cwd: ROOT_DIR })
    .toString()
    .trim();
  return source === 'head' ? `HEAD ${sha}` : `worktree ${sha}${dirty ? '+changes' : ''}`;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return tsFiles(path);
    return d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * Transpiles the snapshot file by file (like tsc's emit, without type checking), so the servers
 * run plain JavaScript with one file per source file and CPU profiles name the source files.
 * The output sits under bench/ so bare imports resolve from the project's node_modules.
 */
export async function buildServers(source: 'head' | 'worktree' = 'head'): Promise<Built> {
  try {
    const esbuild = await import('esbuild');
    const snap = join(OUT_DIR, 'snapshot');
    const js = join(OUT_DIR, 'js');
    const what = snapshot(snap, source);
    rmSync(js, { recursive: true, force: true });
    await esbuild.build({
      entryPoints: tsFiles(snap),
      outbase: snap,
      outdir: js,
      bundle: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'error',
    });
    const entry = (e: Entry) => join(js, 'bench', ENTRIES[e].replace(/\.ts$/, '.js'));
    return {
      source: what,
      mode: 'esbuild',
      command: (e) => [entry(e)],
      probe: ['--import', entry('probe')],
    };
  } catch (err) {
    process.stderr.write(`compiling the servers failed (${String(err)}); using tsx\n`);
    return {
      source: 'worktree (tsx)',
      mode: 'tsx',
      command: (e) => ['--import', 'tsx', join(BENCH_DIR, ENTRIES[e])],
      probe: ['--import', 'tsx', '--import', join(BENCH_DIR, ENTRIES.probe)],
    };
  }
}
