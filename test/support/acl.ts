/** A test ACL file: an admin account (nodes sign with it), a PUB|SUB account and a SUB-only account. */
import type { Credentials } from '../../src/remoting/acl-signature.js';

export const SECRETS = { admin: 'Adm1n-S3cret-5e7f0c', pubsub: 'PubSub-S3cret-91ab2d', sub: 'SubOnly-S3cret-44c1e9' };
export const ACL_YAML = `
accounts:
  - accessKey: rmq-admin
    secretKey: ${SECRETS.admin}
    admin: true
  - accessKey: app-pubsub
    secretKey: ${SECRETS.pubsub}
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms: [AclTopic=PUB|SUB, TBW102=PUB]
  - accessKey: app-sub
    secretKey: ${SECRETS.sub}
    defaultGroupPerm: SUB
    topicPerms: [AclTopic=SUB]
`;
export const ADMIN: Credentials = { accessKey: 'rmq-admin', secretKey: SECRETS.admin };
export const PUBSUB: Credentials = { accessKey: 'app-pubsub', secretKey: SECRETS.pubsub };
