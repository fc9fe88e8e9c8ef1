// One pino root logger for the process; components take children of it.
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

const redact: LoggerOptions['redact'] = {
  paths: ['token', '*.token', 'community', '*.community', 'password', '*.password', 'headers.authorization'],
  censor: '[redacted]',
};

function level(): string {
  return process.env.SEXTANT_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info');
}

let root: Logger = pino({ name: 'sextant', level: level(), redact }, pino.destination(2));

/** The process-wide root logger (writes JSON lines to standard error). */
export function rootLogger(): Logger {
  return root;
}

/** Replace the root logger, e.g. with one that writes into a test's buffer. */
export function setRootLogger(logger: Logger): void {
  root = logger;
}

/** A child logger for one component (`{component, probe, agent, ...}`). */
export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ component, ...bindings });
}

/** A logger that records every entry in memory; for tests and for CLI summaries. */
export function memoryLogger(levelName = 'debug'): { logger: Logger; entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = [];
  const stream = { write: (line: string) => { entries.push(JSON.parse(line) as Record<string, unknown>); } };
  return { logger: pino({ level: levelName, redact }, stream), entries };
}
