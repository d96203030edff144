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
  // Handlers go in before starting: a signal that arrives while the service starts (a supervisor
  // stopping it at once) must still stop it cleanly, once it is up.
  let signalled: string | undefined;
  let service: Service | undefined;
  let stopping = false;
  const stop = () => {
    if (stopping || service === undefined || signalled === undefined) return;
    stopping = true;
    log.info('stopping', { signal: signalled });
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
  const onSignal = (signal: string) => {
    signalled ??= signal;
    stop();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
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
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
    return;
  }
  stop();
}
