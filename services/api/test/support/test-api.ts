import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Bus } from '@ingot/bus';
import { conductors, createScratchDatabase, openDatabase, SecretBox, type Db } from '@ingot/store';
import { createLogger } from '@ingot/telemetry';
import { buildApp, type AppOptions } from '../../src/app.js';

/** An answer of the API, with Ironic's fault string when it is an error. */
export interface Answer {
  status: number;
  body: any;
  headers: Record<string, unknown>;
  /** Ironic's faultstring, for an error answer. */
  fault?: string;
}

/**
 * The API app on a scratch PostgreSQL database and a NATS bus under a prefix of its own, without
 * the other services: for routes whose answers come from the database alone. Requests are
 * injected (no listening socket).
 */
export class TestApi {
  private constructor(
    readonly app: FastifyInstance,
    readonly db: Db,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async start(options: Partial<AppOptions> = {}): Promise<TestApi> {
    const scratch = await createScratchDatabase('ingot_api');
    const database = openDatabase(scratch.url, { max: 4 });
    const bus = await Bus.connect({ prefix: `t${randomBytes(5).toString('hex')}` });
    const app = await buildApp(
      { db: database.db, bus, secrets: new SecretBox('an-api-test-key-long-enough') },
      createLogger('api-test', { level: process.env.TEST_API_LOG_LEVEL ?? 'silent' }),
      { heartbeatTimeoutS: 300, ...options },
    );
    return new TestApi(app, database.db, async () => {
      await app.close();
      for (const stream of [bus.subjects.commandStream, bus.subjects.eventStream])
        await bus.jsm.streams.delete(stream).catch(() => undefined);
      await bus.close();
      await database.close();
      await scratch.drop();
    });
  }

  /** A live conductor, so that hardware types are served (GET /v1/drivers/{name}). */
  async addConductor(id = 'conductor-test'): Promise<void> {
    await this.db
      .insert(conductors)
      .values({ id, hostname: id, service: 'conductor' })
      .onConflictDoNothing();
  }

  async call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    version = '1.78',
  ): Promise<Answer> {
    const res = await this.app.inject({
      method,
      url,
      headers: { 'x-openstack-ironic-api-version': version },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    const parsed = res.body === '' ? undefined : JSON.parse(res.body);
    const fault =
      res.statusCode >= 400 && parsed?.error_message
        ? (JSON.parse(parsed.error_message).faultstring as string)
        : undefined;
    return { status: res.statusCode, body: parsed, headers: res.headers, fault };
  }

  /** Creates a node and returns its uuid. */
  async node(name: string, driver = 'fake-hardware'): Promise<string> {
    const res = await this.call('POST', '/v1/nodes', { name, driver });
    if (res.status !== 201) throw new Error(`node create: ${res.status} ${res.fault}`);
    return res.body.uuid;
  }

  stop(): Promise<void> {
    return this.cleanup();
  }
}
