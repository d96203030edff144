/**
 * `rmqd broker -c broker.properties`. The broker runs in place until signalled, except for one
 * event: as a slave it finds that its log holds what a former master wrote after the last point
 * it shares with the current master (the epochs tell, broker/ha/epochs.ts) — then the broker is
 * stopped and opened again with the store cut back to that point (the cut is logged with offsets
 * and message count), following the same master, in the same process.
 */
import { Broker } from '../broker/broker.js';
import { loadBrokerConfig, resolveIoThreads, type ResolvedBrokerConfig } from '../broker/broker-properties.js';
import type { TruncateRequest } from '../broker/ha/replication.js';
import { InvalidInputError } from '../errors.js';
import { loadNodeTls, type NodeTls } from '../remoting/tls-config.js';
import { createLogger, type Logger } from '../util/log.js';
import { parseRoleArgs } from './args.js';
import { runService, type Service } from './lifecycle.js';

/** The running broker, reopened in place when its log must be cut. */
class BrokerRun implements Service {
  private broker: Broker | undefined;
  private reopening: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly config: ResolvedBrokerConfig,
    private readonly configFile: string,
    private readonly tls: NodeTls,
    private readonly log: Logger,
  ) {}

  async start(truncate?: TruncateRequest): Promise<void> {
    const broker = await Broker.open({
      config: this.config,
      logger: this.log,
      configFile: this.configFile,
      tls: this.tls,
      onTruncate: (t) => this.reopen(t),
      ...(truncate ? { truncateTo: truncate.to, initialMaster: { masterAddr: truncate.master, haMasterAddr: truncate.masterHa } } : {}),
    });
    try {
      await broker.start();
    } catch (e) {
      await broker.stop().catch(() => {});
      throw e;
    }
    this.broker = broker;
  }

  private reopen(t: TruncateRequest): void {
    if (this.reopening !== undefined || this.stopped) return;
    this.reopening = (async () => {
      this.log.warn('reopening the broker to cut its commit log back', { from: t.from, to: t.to, master: t.master, masterEpoch: t.masterEpoch });
      await this.broker?.stop();
      this.broker = undefined;
      if (!this.stopped) await this.start(t);
    })()
      .catch((e: unknown) => {
        // the store stays as it was (a cut is all or nothing at open): a restart tries again
        this.log.error('reopening the broker after the truncation failed; exiting', { err: e as Error });
        process.exit(1);
      })
      .finally(() => {
        this.reopening = undefined;
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.reopening;
    await this.broker?.stop();
  }
}

export async function runBroker(argv: readonly string[]): Promise<void> {
  const log = createLogger('broker');
  await runService('broker', log, async () => {
    const { configFile, ioThreads } = parseRoleArgs('broker', argv);
    const { config, warnings } = loadBrokerConfig(configFile);
    if (ioThreads !== undefined) config.ioThreads = resolveIoThreads(ioThreads, '--io-threads');
    for (const w of warnings) log.warn('configuration', { note: w });
    const tls = loadNodeTls(config, configFile, (problems) => {
      throw new InvalidInputError(`invalid TLS configuration in ${configFile}`, problems);
    });
    const run = new BrokerRun(config, configFile, tls, log);
    await run.start();
    return run;
  });
}
