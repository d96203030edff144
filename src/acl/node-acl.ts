/**
 * ACL for one node (broker or NameServer) from its properties: the rules it enforces on requests
 * (`aclEnable` + `aclFile`) and the credentials it signs its own requests with (`aclAccessKey`,
 * an account of the same file — broker registration with NameServers, slave sync with its master).
 */
import { InvalidInputError } from '../errors.js';
import type { Credentials } from '../remoting/acl-signature.js';
import type { RequestDispatcher } from '../remoting/dispatcher.js';
import type { Logger } from '../util/log.js';
import { AclDispatcher } from './acl-dispatcher.js';
import { AclSource } from './acl-source.js';

export interface NodeAclConfig {
  aclEnable: boolean;
  aclFile: string | null;
  aclAccessKey?: string | null;
}

export class NodeAcl {
  private constructor(
    readonly source: AclSource | undefined,
    readonly enforce: boolean,
    private readonly accessKey: string | null,
  ) {}

  /** Reads the ACL file when the configuration asks for one; throws InvalidInputError naming the problem. */
  static open(c: NodeAclConfig, configFile: string, log: Logger): NodeAcl {
    const accessKey = c.aclAccessKey ?? null;
    if (!c.aclEnable && accessKey === null) return new NodeAcl(undefined, false, null);
    if (c.aclFile === null) {
      throw new InvalidInputError(`invalid configuration ${configFile}`, [`${configFile}  aclFile is required when ${c.aclEnable ? 'aclEnable=true' : 'aclAccessKey is set'}`]);
    }
    const source = new AclSource(c.aclFile, log);
    if (accessKey !== null && source.credentials(accessKey) === undefined) {
      throw new InvalidInputError(`invalid configuration ${configFile}`, [`${configFile}  aclAccessKey "${accessKey}" is not an account of ${c.aclFile}`]);
    }
    source.watch();
    log.info('access control', { enforce: c.aclEnable, file: c.aclFile, accounts: source.policy.accounts.size, signAs: accessKey ?? undefined });
    return new NodeAcl(source, c.aclEnable, accessKey);
  }

  /** `dispatcher` behind the ACL check when enforcing, else as it is. */
  guard(dispatcher: RequestDispatcher, log: Logger): RequestDispatcher {
    return this.enforce && this.source !== undefined ? new AclDispatcher(dispatcher, this.source, log) : dispatcher;
  }

  /** What the node signs its own requests with (current secret after a reload), if anything. */
  get credentials(): (() => Credentials | undefined) | undefined {
    const { source, accessKey } = this;
    if (source === undefined || accessKey === null) return undefined;
    return () => source.credentials(accessKey);
  }

  close(): void {
    this.source?.close();
  }
}
