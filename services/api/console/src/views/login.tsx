import { useState } from 'preact/hooks';
import type { Session } from '../api.js';
import { saveBasicCredential, saveBearerToken } from '../credential.js';

/** Asks for the credential the API's strategy takes: a bearer token, or a user and password. */
export function Login(props: { strategy: Session['auth']; refused: boolean; onSaved: () => void }) {
  const [token, setToken] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const basic = props.strategy === 'http_basic';
  const submit = (event: Event) => {
    event.preventDefault();
    if (basic) saveBasicCredential(user, password);
    else saveBearerToken(token);
    props.onSaved();
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>Ingot console</h1>
      <p>
        {basic
          ? 'This API checks a user name and password (HTTP Basic).'
          : 'This API takes a bearer token (INGOT_AUTH_TOKENS_FILE or INGOT_ADMIN_TOKEN).'}{' '}
        It is kept in this tab only, until you sign out or close it.
      </p>
      {props.refused && <p class="error">The API refused that credential.</p>}
      {basic ? (
        <>
          <label>
            User
            <input
              name="user"
              autocomplete="username"
              value={user}
              onInput={(e) => setUser(e.currentTarget.value)}
            />
          </label>
          <label>
            Password
            <input
              name="password"
              type="password"
              autocomplete="current-password"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
        </>
      ) : (
        <label>
          Token
          <input
            name="token"
            type="password"
            autocomplete="off"
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        </label>
      )}
      <button type="submit" disabled={basic ? !user || !password : !token.trim()}>
        Sign in
      </button>
    </form>
  );
}
