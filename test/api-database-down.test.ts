// PostgreSQL out of reach is not a bug in the request: the API answers 503 with Retry-After (which
// python-ironicclient and gophercloud retry), logs the driver's reason without the query's
// parameters, and serves again as soon as the database takes connections.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation } from '@ingot/lab';

const faultOf = (body: any): string => JSON.parse(body.error_message).faultstring;

describe('API with the database out of reach', () => {
  let system: Installation;
  let admin: pg.Client;
  let database: string;

  const setAcceptingConnections = async (allow: boolean) => {
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS ${allow}`);
    // Connections already open are not affected by ALLOW_CONNECTIONS: end the API's.
    if (!allow)
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [database],
      );
  };

  beforeAll(async () => {
    system = await Installation.create();
    await system.startService('api');
    database = new URL(system.databaseUrl).pathname.slice(1);
    const adminUrl = new URL(system.databaseUrl);
    adminUrl.pathname = '/postgres';
    admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
  });
  afterAll(async () => {
    await setAcceptingConnections(true).catch(() => undefined);
    await admin?.end();
    await system?.stop();
  });

  it('answers 503 with Retry-After, then serves again once it is back', async () => {
    const created = await system.api('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      name: 'db-down',
    });
    expect(created.status).toBe(201);

    await setAcceptingConnections(false);
    // The first query may meet the terminated connection (57P01), later ones a refused connect.
    for (const attempt of [1, 2, 3]) {
      const res = await system.api('GET', '/v1/nodes/db-down');
      expect(res.status, `attempt ${attempt}: ${res.text}`).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(faultOf(res.body)).toMatch(/PostgreSQL\) is unavailable; retry later/);
    }
    const logged = system.logs();
    expect(logged).toMatch(/"msg":"database unavailable"/);
    // The node's name was a query parameter: the log names the cause, not the parameters.
    expect(logged).not.toMatch(/params:/);

    await setAcceptingConnections(true);
    const back = await system.api('GET', '/v1/nodes/db-down');
    expect(back.status).toBe(200);
    expect(back.body.name).toBe('db-down');
  });
});
