/**
 * SSM Parameter Store as the ledger's storage: records written as new generations of parts
 * (`<base>/<generation>/<index>`), so a reader always finds the last complete one even while a
 * write is in flight or after one was cut short, and a lock taken with PutParameter's
 * no-overwrite create.
 */
import { GetParameterCommand, paginateGetParametersByPath, ParameterType, SSMClient } from '@aws-sdk/client-ssm';
import { joinRecord, newGeneration, splitRecord } from './codec';

/** GetParametersByPath and DeleteParameters take at most 10 a call. */
export const PAGE = 10;

export interface ParameterWrite {
  readonly name: string;
  readonly value: string;
  readonly secure: boolean;
}

/** The newest complete generation of the record at `base`, and every parameter name it has. */
export interface StoredRecord<T> {
  readonly value: T;
  readonly generation: string;
  /** Names of every generation's parts under the base, the current one included. */
  readonly names: readonly string[];
}

/** Parameter Store's reads: all a plan needs (see `writer.ts` for the writes). */
export class ParameterReader {
  constructor(protected readonly ssm: SSMClient) {}

  /** Every parameter below `path` (all levels), decrypted unless told; `types` keeps only those types. */
  async list(path: string, types?: ParameterType[], decrypt = true): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const pages = paginateGetParametersByPath({ client: this.ssm, pageSize: PAGE }, {
      Path: path,
      Recursive: true,
      WithDecryption: decrypt,
      ParameterFilters: types ? [{ Key: 'Type', Option: 'Equals', Values: types }] : undefined,
    });
    for await (const page of pages) {
      for (const parameter of page.Parameters ?? []) {
        found.set(parameter.Name!, parameter.Value ?? '');
      }
    }
    return found;
  }

  async get(name: string): Promise<string | undefined> {
    try {
      return (await this.ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (err) {
      if ((err as Error).name === 'ParameterNotFound') {
        return undefined;
      }
      throw err;
    }
  }
}

/** The parameters of a new generation of the record at `base`. */
export function recordWrites(base: string, value: unknown, secure: boolean, generation = newGeneration()): ParameterWrite[] {
  return splitRecord(JSON.stringify(value)).map((part, index) => ({ name: `${base}/${generation}/${index}`, value: part, secure }));
}

/** The newest complete generation of the record at `base` among `parameters`. */
export function latestRecord<T>(parameters: ReadonlyMap<string, string>, base: string): StoredRecord<T> | undefined {
  const prefix = `${base}/`;
  const generations = new Map<string, Map<number, string>>();
  const names: string[] = [];
  for (const [name, value] of parameters) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(g[0-9a-z]+)\/(\d+)$/.exec(name.slice(prefix.length));
    if (!match) continue;
    names.push(name);
    const parts = generations.get(match[1]) ?? new Map<number, string>();
    parts.set(Number(match[2]), value);
    generations.set(match[1], parts);
  }
  for (const generation of [...generations.keys()].sort().reverse()) {
    const parts = generations.get(generation)!;
    const count = Number(parts.get(0)?.split(':', 1)[0]);
    const json = Number.isInteger(count) ? joinRecord(Array.from({ length: count }, (_, i) => parts.get(i))) : undefined;
    if (json !== undefined) {
      try {
        return { value: JSON.parse(json) as T, generation, names };
      } catch {
        // A damaged generation: an older complete one still describes the claim.
      }
    }
  }
  return undefined;
}
