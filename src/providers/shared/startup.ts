import type { ProviderModel } from '../../inference/types.js';
import type { Logger } from '../../logging/logger.js';
import type { UpstreamLabel } from './errors.js';
import { BackgroundRetry } from './lifecycle.js';

export interface StartupCheck {
  log: Logger;
  label: UpstreamLabel;
  models: readonly ProviderModel[];
  /** Lists what the upstream serves; throws when it cannot be reached. */
  list(): Promise<string[]>;
  /** Whether a configured id is among the listed ones. */
  has(listed: readonly string[], id: string): boolean;
  /** The error line for a configured model the upstream does not serve. */
  missingMessage(id: string): string;
}

/**
 * Start-up model check: one clear error line per configured model the upstream lacks (not fatal:
 * requests for it fail with 404 until it is fixed). An unreachable upstream is a warning, and the
 * check is retried in the background with backoff until it answers or `stop()` is called.
 */
export async function startModelCheck(check: StartupCheck): Promise<BackgroundRetry> {
  const { log, label } = check;
  const retry: BackgroundRetry = new BackgroundRetry(async (attempt): Promise<boolean> => {
    let listed: string[];
    try {
      listed = await check.list();
    } catch (err) {
      const retryIn = retry.nextDelayMs() / 1000;
      // The mapped error's own message is written for callers ("...; try again later.").
      const reason = (err as { detail?: { reason?: unknown } }).detail?.reason;
      const why = typeof reason === 'string' ? reason : (err as Error).message;
      log.warn(
        { url: label.url, attempt, err: why },
        `${label.name} at ${label.url} is not reachable yet (${why}); ` +
          `retrying in ${retryIn} s. ${label.unreachableHint}`,
      );
      return false;
    }
    if (attempt > 0) log.info({ url: label.url }, `${label.name} at ${label.url} is reachable`);
    for (const model of check.models) {
      if (check.has(listed, model.providerModelId)) continue;
      log.error(
        { model: model.providerModelId, url: label.url },
        check.missingMessage(model.providerModelId),
      );
    }
    return true;
  });
  await retry.run();
  return retry;
}
