/**
 * Structured JSON logging. The Lambda function uses the JSON log format, where a single object
 * passed to `console` becomes the entry's `message` object. Entries carry account IDs and
 * operations, never email addresses: every string in an entry is redacted, value by value (never
 * the serialized text, whose escapes a pattern could cut through). Logging never throws: a
 * deployment must not fail because of a log line.
 */
import { redactEmails } from './report';

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** `value` with every string (keys included) redacted; cycles and exotic values become text. */
export function redacted(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactEmails(value);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function' ? redactEmails(String(value)) : value;
  }
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) return redactEmails(`${value.name}: ${value.message}`);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => redacted(item, seen));
  if (value instanceof Set) return [...value].map((item) => redacted(item, seen));
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [redactEmails(String(k)), redacted(v, seen)]));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactEmails(k), redacted(v, seen)]));
}

function write(sink: (entry: object) => void, message: string, fields: LogFields | undefined, context: LogFields): void {
  try {
    sink(redacted({ message, ...context, ...fields }) as object);
  } catch {
    try {
      sink({ message: redactEmails(String(message)), logError: 'the entry could not be written in full' });
    } catch {
      // Nothing left to log with: the run goes on.
    }
  }
}

/** A logger writing one JSON object per entry, with `context` (e.g. the request) in each. */
export function jsonLogger(context: LogFields = {}): Logger {
  return {
    info: (message, fields) => write((e) => console.info(e), message, fields, context),
    warn: (message, fields) => write((e) => console.warn(e), message, fields, context),
    error: (message, fields) => write((e) => console.error(e), message, fields, context),
  };
}
