/** Facts about the machine a run happened on, recorded with every result file. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';

function read(path: string): string | undefined {
  try {
    return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
  } catch {
    return undefined;
  }
}

export interface MachineFacts {
  cpuModel: string;
  nproc: number;
  node: string;
  kernel: string;
  os: string | undefined;
  governor: string;
  memTotalKiB: number;
  loadAvgAtStart: number[];
}

export function machineFacts(): MachineFacts {
  const osRelease = read('/etc/os-release');
  const memTotal = /^MemTotal:\s+(\d+)/m.exec(read('/proc/meminfo') ?? '');
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    // Not `nproc`: it counts only the cores this (pinned) process may use.
    nproc: Number(execFileSync('nproc', ['--all']).toString().trim()),
    node: process.version,
    kernel: release(),
    os: osRelease ? /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] : undefined,
    governor: read('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor') ?? 'not exposed (VM)',
    memTotalKiB: memTotal ? Number(memTotal[1]) : NaN,
    loadAvgAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}
