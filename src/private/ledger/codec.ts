/**
 * Encodings of the ownership ledger (SSM parameters of at most 4,096 characters, standard tier):
 * compact account sets, records split across parameters, generations and fingerprints. Pure.
 */
import { createHash, randomBytes } from 'crypto';
import { deflateSync, inflateSync } from 'zlib';

/** Characters one standard-tier parameter value holds. */
export const PARAMETER_CHARS = 4096;
/** Payload characters per part, leaving room for the `<count>:` prefix. */
const PART_PAYLOAD = PARAMETER_CHARS - 8;
/** Records this long or shorter are stored as plain JSON (readable with the AWS CLI). */
const PLAIN_LIMIT = PART_PAYLOAD;

/* eslint-disable no-bitwise -- varints are bit arithmetic */

/**
 * A set of 12-digit account IDs as sorted deltas in unsigned LEB128, base64: about 4 bytes an
 * account for thousands of accounts spread over the ID range, against 13 in a comma-joined list.
 */
export function encodeAccounts(ids: Iterable<string>): string {
  const sorted = [...new Set(ids)].map(Number).sort((a, b) => a - b);
  const bytes: number[] = [];
  let previous = 0;
  for (const id of sorted) {
    let delta = id - previous;
    previous = id;
    // Account IDs stay below 2^40, so plain arithmetic (not 32-bit operators) splits them.
    while (delta >= 0x80) {
      bytes.push((delta % 0x80) | 0x80);
      delta = Math.floor(delta / 0x80);
    }
    bytes.push(delta);
  }
  return Buffer.from(bytes).toString('base64');
}

export function decodeAccounts(text: string | undefined): string[] {
  if (!text) {
    return [];
  }
  const bytes = Buffer.from(text, 'base64');
  const ids: string[] = [];
  let previous = 0;
  let delta = 0;
  let scale = 1;
  for (const byte of bytes) {
    delta += (byte & 0x7f) * scale;
    if (byte & 0x80) {
      scale *= 0x80;
      continue;
    }
    previous += delta;
    ids.push(String(previous).padStart(12, '0'));
    delta = 0;
    scale = 1;
  }
  return ids;
}

/* eslint-enable no-bitwise */

/**
 * The values of the parameters that hold one record: `<count>:` then a slice of the payload,
 * which is `j<json>` while it fits one parameter, else `z<base64 of zlib(json)>`.
 */
export function splitRecord(json: string): string[] {
  const payload = json.length <= PLAIN_LIMIT ? `j${json}` : `z${deflateSync(Buffer.from(json, 'utf8'), { level: 9 }).toString('base64')}`;
  const slices: string[] = [];
  for (let i = 0; i < payload.length; i += PART_PAYLOAD) {
    slices.push(payload.slice(i, i + PART_PAYLOAD));
  }
  return slices.map((slice) => `${slices.length}:${slice}`);
}

/** The record's JSON, or undefined when parts are missing (a write still in progress or cut short). */
export function joinRecord(parts: readonly (string | undefined)[]): string | undefined {
  if (parts.length === 0 || parts.some((part) => part === undefined)) {
    return undefined;
  }
  const slices: string[] = [];
  for (const part of parts as string[]) {
    const colon = part.indexOf(':');
    if (colon < 1 || Number(part.slice(0, colon)) !== parts.length) {
      return undefined;
    }
    slices.push(part.slice(colon + 1));
  }
  const payload = slices.join('');
  if (payload.startsWith('j')) {
    return payload.slice(1);
  }
  if (payload.startsWith('z')) {
    try {
      return inflateSync(Buffer.from(payload.slice(1), 'base64')).toString('utf8');
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** A generation name that sorts by write time: newer generations compare greater. */
export function newGeneration(now = Date.now()): string {
  return `g${now.toString(36).padStart(9, '0')}${randomBytes(2).toString('hex')}`;
}

/** A short, stable digest of a declaration (the resource properties, ServiceToken aside). */
export function fingerprint(properties: object | undefined): string {
  const { ServiceToken: _token, ...rest } = (properties ?? {}) as Record<string, unknown>;
  return createHash('sha256').update(canonicalJson(rest)).digest('base64').slice(0, 22);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
