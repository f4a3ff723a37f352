/**
 * Runs `stop` once on SIGINT/SIGTERM, then exits. A second signal while stopping exits at once,
 * so a hung shutdown never traps the user.
 */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    stop()
      .then(() => process.exit(signal === 'SIGINT' ? 130 : 0))
      .catch((err: unknown) => {
        console.error('llamagate: shutdown failed', err);
        process.exit(1);
      });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
