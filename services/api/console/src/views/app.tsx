import { useEffect, useMemo, useState } from 'preact/hooks';
import { fetchSession, type Session } from '../api.js';
import { forgetCredential } from '../credential.js';
import { useRoute } from '../route.js';
import { FleetStore } from '../store.js';
import { useStore } from '../use-store.js';
import { Login } from './login.js';
import { NodeList } from './node-list.js';
import { NodePage } from './node-page.js';
import { Overview } from './overview.js';

type SessionState =
  | { kind: 'checking' }
  | { kind: 'login'; strategy: Session['auth']; refused: boolean }
  | { kind: 'ready'; session: Session }
  | { kind: 'error'; message: string };

/** Asks who the stored credential is; the fleet views start once the API accepts it. */
export function App() {
  const [state, setState] = useState<SessionState>({ kind: 'checking' });
  const check = async (afterLogin = false) => {
    try {
      const answer = await fetchSession();
      if ('needs' in answer) {
        forgetCredential();
        setState({ kind: 'login', strategy: answer.needs, refused: afterLogin });
      } else setState({ kind: 'ready', session: answer });
    } catch (error) {
      setState({ kind: 'error', message: (error as Error).message });
    }
  };
  useEffect(() => void check(), []);

  if (state.kind === 'checking') return <p class="notice">Connecting to the API…</p>;
  if (state.kind === 'error')
    return <p class="notice error">The API could not be reached: {state.message}</p>;
  if (state.kind === 'login')
    return (
      <Login strategy={state.strategy} refused={state.refused} onSaved={() => void check(true)} />
    );
  return (
    <Shell
      session={state.session}
      onLogout={() => {
        forgetCredential();
        void check();
      }}
    />
  );
}

function Shell({ session, onLogout }: { session: Session; onLogout: () => void }) {
  const store = useMemo(() => new FleetStore(), []);
  useEffect(() => {
    store.start();
    return () => store.close();
  }, [store]);
  useStore(store);
  const route = useRoute();
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          Ingot
        </a>
        <nav>
          <a href="#/" class={route.page === 'overview' ? 'current' : ''}>
            Fleet
          </a>
          <a href="#/nodes" class={route.page !== 'overview' ? 'current' : ''}>
            Nodes
          </a>
        </nav>
        <span
          class={`stream stream-${store.stream}`}
          data-testid="stream-state"
          title={store.streamDetail ?? ''}
        >
          {store.stream === 'live'
            ? 'live'
            : store.stream === 'connecting'
              ? 'connecting…'
              : 'not live'}
        </span>
        <span class="who" data-testid="who">
          {session.name} · {session.role ?? 'no role'}
          {session.can_act ? '' : ' (read-only)'}
        </span>
        {session.auth !== 'noauth' && (
          <button type="button" class="link" onClick={onLogout}>
            Sign out
          </button>
        )}
      </header>
      <main>
        {store.loadError && (
          <p class="notice error">The node list could not be loaded: {store.loadError}</p>
        )}
        {route.page === 'overview' && <Overview store={store} />}
        {route.page === 'nodes' && <NodeList store={store} initial={route.filters} />}
        {route.page === 'node' && (
          <NodePage store={store} uuid={route.uuid} canAct={session.can_act} />
        )}
      </main>
    </>
  );
}
