/** `rmqd broker -c broker.properties`. */
import { Broker } from '../broker/broker.js';
import { loadBrokerConfig } from '../broker/broker-properties.js';
import { InvalidInputError } from '../errors.js';
import { loadNodeTls } from '../remoting/tls-config.js';
import { createLogger } from '../util/log.js';
import { parseRoleArgs } from './args.js';
import { runService } from './lifecycle.js';

export async function runBroker(argv: readonly string[]): Promise<void> {
  const log = createLogger('broker');
  await runService('broker', log, async () => {
    const { configFile } = parseRoleArgs('broker', argv);
    const { config, warnings } = loadBrokerConfig(configFile);
    for (const w of warnings) log.warn('configuration', { note: w });
    const tls = loadNodeTls(config, configFile, (problems) => {
      throw new InvalidInputError(`invalid TLS configuration in ${configFile}`, problems);
    });
    const broker = await Broker.open({ config, logger: log, configFile, tls });
    try {
      await broker.start();
    } catch (e) {
      await broker.stop().catch(() => {});
      throw e;
    }
    return broker;
  });
}
