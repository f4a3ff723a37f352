import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString, Logger } from 'pino';

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A per-request logger that becomes a real pino child only when a line is actually written
 * through it. The server gets one per request, but most requests write a single line when they
 * end, and a streamed answer writes nothing until then; building the child up front (a dozen
 * bound methods and the serialised bindings) cost time on every request and memory for every
 * open stream. Lines below the level are dropped without building anything, and a line given as
 * an object of fields is written by the parent with the bindings merged in.
 */
class LazyChildLogger {
  private real: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions | undefined,
  ) {}

  private get logger(): Logger {
    this.real ??= this.parent.child(this.bindings, this.options);
    return this.real;
  }

  get level(): LevelWithSilentOrString {
    return this.real?.level ?? this.options?.level ?? this.parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.logger.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.real ? this.real.isLevelEnabled(level) : this.parent.isLevelEnabled(level);
  }

  private write(method: LogMethod, args: unknown[]): void {
    if (this.real) return void (this.real[method] as (...a: unknown[]) => void)(...args);
    if (!this.parent.isLevelEnabled(method)) return;
    const [first, ...rest] = args;
    // A plain object of fields: the parent writes the same line with the bindings merged in
    // front, so no child is built at all. Anything else (a message string, an Error) goes through
    // a real child, which handles those shapes itself.
    if (first !== null && typeof first === 'object' && !(first instanceof Error)) {
      const fields = { ...this.bindings, ...(first as object) };
      return void (this.parent[method] as (...a: unknown[]) => void)(fields, ...rest);
    }
    (this.logger[method] as (...a: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }
}

/**
 * Builds a request's child logger lazily (see LazyChildLogger). With a level set in `options`
 * the child is built at once, since the parent's level no longer decides what is written.
 */
export function lazyChildLogger(
  parent: Logger,
  bindings: Bindings,
  options?: ChildLoggerOptions,
): Logger {
  if (options?.level !== undefined) return parent.child(bindings, options);
  return new LazyChildLogger(parent, bindings, options) as unknown as Logger;
}
