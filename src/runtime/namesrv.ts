/** `rmqd namesrv -c namesrv.properties`. */
import { loadNamesrvConfig } from '../namesrv/config.js';
import { NameServer } from '../namesrv/namesrv.js';
import { InvalidInputError } from '../errors.js';
import { loadNodeTls } from '../remoting/tls-config.js';
import { createLogger } from '../util/log.js';
import { parseRoleArgs } from './args.js';
import { runService } from './lifecycle.js';

export async function runNamesrv(argv: readonly string[]): Promise<void> {
  const log = createLogger('namesrv');
  await runService('namesrv', log, async () => {
    const { configFile } = parseRoleArgs('namesrv', argv);
    const { config, warnings } = loadNamesrvConfig(configFile);
    for (const w of warnings) log.warn('ignoring configuration key', { at: w });
    const tls = loadNodeTls(config, configFile, (problems) => {
      throw new InvalidInputError(`invalid TLS configuration in ${configFile}`, problems);
    });
    const ns = new NameServer({ config, logger: log, configFile, ...(tls.server ? { tls: tls.server } : {}) });
    await ns.start();
    return ns;
  });
}
