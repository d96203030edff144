/**
 * Process lifecycle of an rmqd role: start the service, stop it cleanly on SIGTERM/SIGINT (exit 0),
 * and turn start-up failures into an exit code with a one-line reason (2 for bad configuration,
 * 1 otherwise) instead of a stack trace.
 */
import { InvalidInputError } from '../errors.js';
import type { Logger } from '../util/log.js';

export interface Service {
  stop(): Promise<void>;
}

export async function runService(role: string, log: Logger, start: () => Promise<Service>): Promise<void> {
  let service: Service;
  try {
    service = await start();
  } catch (e) {
    if (e instanceof InvalidInputError) {
      process.stderr.write(`rmqd ${role}: ${e.message}\n`);
      for (const p of e.problems) process.stderr.write(`  ${p}\n`);
      process.exitCode = 2;
    } else {
      log.error('failed to start', { err: e as Error });
      process.stderr.write(`rmqd ${role}: ${(e as Error).message}\n`);
      process.exitCode = 1;
    }
    return;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    service.stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (e: unknown) => {
        log.error('stop failed', { err: e as Error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
