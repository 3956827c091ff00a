/**
 * Parameter Store's writes for the ledger: new generations of a record's parts, deletes, and
 * the lock's no-overwrite create. Only the handler imports this module: a plan reads with
 * {@link ParameterReader} alone.
 */
import { DeleteParametersCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { PAGE, ParameterReader, ParameterWrite } from './store';
import { forEachBounded } from '../bounded';

/** PutParameter calls in flight at once: Parameter Store throttles writes early. */
const WRITE_CONCURRENCY = 4;

/** The ledger's storage for the handler: reads, and the writes a reconcile makes. */
export class ParameterStore extends ParameterReader {
  async put(writes: readonly ParameterWrite[]): Promise<void> {
    await forEachBounded(writes, WRITE_CONCURRENCY, async (w) => {
      await this.ssm.send(new PutParameterCommand({
        Name: w.name,
        Value: w.value,
        Type: w.secure ? 'SecureString' : 'String',
        Tier: 'Standard',
        // Generations are new names, but a retried call whose first attempt went through must not fail.
        Overwrite: true,
      }));
    });
  }

  async delete(names: readonly string[]): Promise<void> {
    const batches: string[][] = [];
    for (let i = 0; i < names.length; i += PAGE) {
      batches.push(names.slice(i, i + PAGE));
    }
    // Names already gone come back in InvalidParameters: nothing to do for them.
    await forEachBounded(batches, WRITE_CONCURRENCY, async (batch) => {
      await this.ssm.send(new DeleteParametersCommand({ Names: batch }));
    });
  }

  /** Creates the parameter unless it exists; false when it exists. */
  async create(name: string, value: string): Promise<boolean> {
    try {
      await this.ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Tier: 'Standard', Overwrite: false }));
      return true;
    } catch (err) {
      if ((err as Error).name === 'ParameterAlreadyExists') {
        return false;
      }
      throw err;
    }
  }

  async overwrite(name: string, value: string): Promise<void> {
    await this.ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Tier: 'Standard', Overwrite: true }));
  }
}
