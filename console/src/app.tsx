import type { SessionInfo } from '../../src/ops/console/api-types.js';
import { useHashRoute, usePolled } from './hooks.js';
import { ClusterPage } from './pages/cluster.js';
import { TopicsPage } from './pages/topics.js';
import { GroupsPage } from './pages/groups.js';
import { MessagesPage } from './pages/messages.js';
import { DlqPage } from './pages/dlq.js';
import { ErrorNote } from './components/notes.js';

const PAGES = [
  { path: '/cluster', label: 'Cluster' },
  { path: '/topics', label: 'Topics' },
  { path: '/groups', label: 'Consumer groups' },
  { path: '/messages', label: 'Messages' },
  { path: '/dlq', label: 'Dead letters' },
] as const;

export function App() {
  const route = useHashRoute();
  const session = usePolled<SessionInfo>('/api/session');
  const [, section = 'cluster', ...rest] = route.split('/');
  const arg = rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined;
  let page;
  switch (section) {
    case 'topics':
      page = <TopicsPage selected={arg} />;
      break;
    case 'groups':
      page = <GroupsPage selected={arg} />;
      break;
    case 'messages':
      page = <MessagesPage />;
      break;
    case 'dlq':
      page = <DlqPage selected={arg} />;
      break;
    default:
      page = <ClusterPage />;
  }
  const s = session.data;
  return (
    <>
      <a class="skip-link" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <p class="brand">rmqctl console</p>
        <p class="session">
          {s ? (
            <>
              NameServers <code>{s.namesrvAddrs.join(';')}</code>
              {s.topology ? <> · topology <code>{s.topology}</code></> : null}
              {s.signedAs ? <> · signed as <code>{s.signedAs}</code></> : null}
              {s.tls ? ' · TLS' : null}
            </>
          ) : null}
        </p>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <a href={`#${p.path}`} aria-current={`/${section}` === p.path ? 'page' : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorNote error={session.error} />
        {page}
      </main>
    </>
  );
}
