#!/usr/bin/env node
// Starts a lab fleet and keeps it running: one JSON line per server on stdout, errors on stderr.
import { parseArgs } from 'node:util';
import { startFleet } from './fleet.js';

const USAGE = `usage: node lab/dist/cli.js --servers N [--base-port PORT] [--tls] [--delay-ms MS]
       [--power-delay-ms MS] [--username NAME] [--password SECRET] [--print-credentials]
       [--ipmi [--ipmi-base-port PORT]]`;

function integer(value: string | undefined, flag: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a non-negative integer`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      servers: { type: 'string', default: '1' },
      'base-port': { type: 'string' },
      tls: { type: 'boolean', default: false },
      'delay-ms': { type: 'string' },
      'power-delay-ms': { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      'print-credentials': { type: 'boolean', default: false },
      ipmi: { type: 'boolean', default: false },
      'ipmi-base-port': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);

  const fleet = await startFleet({
    count: integer(values.servers, '--servers') ?? 1,
    basePort: integer(values['base-port'], '--base-port'),
    tls: values.tls,
    responseDelayMs: integer(values['delay-ms'], '--delay-ms'),
    powerDelayMs: integer(values['power-delay-ms'], '--power-delay-ms'),
    username: values.username,
    password: values.password,
    ipmi: values.ipmi,
    ipmiBasePort: integer(values['ipmi-base-port'], '--ipmi-base-port'),
  });
  for (const server of fleet.servers) {
    const line = {
      name: server.name,
      uuid: server.uuid,
      url: server.url,
      systemPath: server.systemPath,
      ...(server.ipmi ? { ipmiPort: server.ipmi.port } : {}),
      username: server.username,
      ...(values['print-credentials'] ? { password: server.password } : {}),
      macs: server.macs,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }

  const shutdown = () => {
    fleet.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`lab: stopping the fleet failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  // Without its bridge the fleet has no IPMI endpoints any more: say so and end.
  void fleet.ipmiBridge?.exited.then(({ code, signal, expected }) => {
    if (expected) return;
    const output = fleet.ipmiBridge?.output().trim();
    console.error(
      `lab: the IPMI bridge exited (${signal ?? `code ${code}`})${output ? `:\n${output}` : ''}`,
    );
    void fleet.stop().finally(() => process.exit(1));
  });
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(`lab: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  process.exit(2);
});
