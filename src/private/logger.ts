/**
 * Structured JSON logging. The Lambda function uses the JSON log format, where a single object
 * passed to `console` becomes the entry's `message` object. Entries carry account IDs and
 * operations, never email addresses: every entry is passed through the email redactor.
 */
import { redactEmails } from './report';

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

function entry(message: string, fields: LogFields | undefined, context: LogFields): object {
  return JSON.parse(redactEmails(JSON.stringify({ message, ...context, ...fields })));
}

/** A logger writing one JSON object per entry, with `context` (e.g. the request) in each. */
export function jsonLogger(context: LogFields = {}): Logger {
  return {
    info: (message, fields) => console.info(entry(message, fields, context)),
    warn: (message, fields) => console.warn(entry(message, fields, context)),
    error: (message, fields) => console.error(entry(message, fields, context)),
  };
}
