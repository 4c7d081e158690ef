import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  const savedLevel = process.env.LOG_LEVEL;
  afterEach(() => {
    if (savedLevel === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = savedLevel;
  });

  it('writes one JSON object per line with the service and a level label', () => {
    const { lines, destination } = capture();
    createLogger('conductor', { destination }).info({ node: 'n1' }, 'deploying');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      service: 'conductor',
      level: 'info',
      node: 'n1',
      msg: 'deploying',
    });
  });

  it('has no trace ids outside a span', () => {
    const { lines, destination } = capture();
    createLogger('conductor', { destination }).info('idle');
    expect(JSON.parse(lines[0] ?? '')).not.toHaveProperty('trace_id');
  });

  it('takes the level from LOG_LEVEL, defaulting to info', () => {
    delete process.env.LOG_LEVEL;
    expect(createLogger('a', capture()).level).toBe('info');
    process.env.LOG_LEVEL = 'debug';
    expect(createLogger('a', capture()).level).toBe('debug');
    expect(createLogger('a', { ...capture(), level: 'warn' }).level).toBe('warn');
  });

  describe('never prints a secret', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['a top-level password', { password: 'hunter2' }],
      ['a BMC password in driver_info', { driver_info: { redfish_password: 'hunter2' } }],
      ['a node nested two levels', { node: { driver_info: { ipmi_password: 'hunter2' } } }],
      ['three levels down', { a: { b: { c: { secret: 'hunter2' } } } }],
      ['an agent token', { agent_token: 'hunter2', reply: { token: 'hunter2' } }],
      ['HTTP headers', { headers: { authorization: 'Bearer hunter2', 'x-auth-token': 'hunter2' } }],
      ['NATS-style headers', { nats: { headers: { Authorization: 'hunter2' } } }],
      ['secrets inside arrays', { nodes: [{ driver_info: { redfish_password: 'hunter2' } }] }],
    ];
    it.each(cases)('%s', (_name, fields) => {
      const { lines, destination } = capture();
      createLogger('api', { destination }).info(fields, 'node updated');
      expect(lines[0]).not.toContain('hunter2');
      expect(lines[0]).toContain('******');
    });

    it('in child logger bindings', () => {
      const { lines, destination } = capture();
      createLogger('api', { destination }).child({ password: 'hunter2' }).info('bound');
      expect(lines[0]).not.toContain('hunter2');
    });

    it('while keeping the fields next to it', () => {
      const { lines, destination } = capture();
      createLogger('api', { destination }).info({
        driver_info: { redfish_address: 'https://10.0.0.5', redfish_password: 'hunter2' },
      });
      expect(JSON.parse(lines[0] ?? '')).toMatchObject({
        driver_info: { redfish_address: 'https://10.0.0.5', redfish_password: '******' },
      });
    });
  });

  describe("never prints a failed query's parameters", () => {
    // What drizzle throws: the SQL and every parameter in the message, the driver's error as cause.
    const queryError = () =>
      Object.assign(
        new Error('Failed query: select 1 from nodes where agent_token = $1\nparams: tok-hunter2'),
        { cause: Object.assign(new Error('sorry, too many clients already'), { code: '53300' }) },
      );

    it('in an Error, keeping the query and the cause', () => {
      const { lines, destination } = capture();
      createLogger('api', { destination }).error({ err: queryError() }, 'request failed');
      expect(lines[0]).not.toContain('hunter2');
      const { err } = JSON.parse(lines[0] ?? '') as { err: { message: string } };
      expect(err.message).toContain('Failed query: select 1 from nodes where agent_token = $1');
      expect(err.message).toContain('sorry, too many clients already');
    });

    it('in an error logged as a string', () => {
      const { lines, destination } = capture();
      createLogger('conductor', { destination }).warn({ err: String(queryError()) }, 'retrying');
      expect(lines[0]).not.toContain('hunter2');
      expect(lines[0]).toContain('Failed query: select 1');
    });
  });
});
