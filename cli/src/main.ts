#!/usr/bin/env node
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiClient, clientSettings } from './client.js';
import { doctor } from './commands/doctor.js';
import { deploy } from './commands/deploy.js';
import { enroll } from './commands/enroll.js';
import { logs } from './commands/logs.js';
import { describeWait, waitExitCode, waitForNodes } from './commands/wait.js';
import { watch } from './commands/watch.js';
import { CliError, EXIT, EXIT_CODES_HELP, usageError } from './exit-codes.js';

const HELP = `ingot: operate an Ingot installation from a terminal or a script.

Usage: ingot <command> [options]

Commands:
  enroll FILE            enroll the hosts of FILE (.yaml: BareMetalHost-like entries or
                         BareMetalHost + Secret manifests; .csv: a header row naming name,
                         bmc_address, bmc_username, bmc_password, boot_mac_address, boot_mode,
                         root_device_hints, site, description, disable_certificate_verification)
      --manage           then verify their BMCs and wait until they are manageable
      --provide          then manage and clean them and wait until they are available
      --concurrency N    hosts enrolled at once (default 8)
  watch                  live table of the nodes (one line per change when not a terminal)
      --nodes A,B        only these nodes (names or UUIDs)
  wait --state STATE     wait until the nodes are in STATE, with counts per state and an ETA
      --nodes A,B | --all
  deploy --image URL --checksum HEX --nodes A,B
                         write the image to the nodes and wait until they are active
      --checksum-type T  sha256 | sha512 | md5 (default: from the checksum's length)
      --user-data FILE   cloud-init user data for the config drive
  logs NODE              the agent's log lines of NODE
      --follow           keep printing new lines
  doctor                 check the installation; each problem with its fix

Options of every command:
  --url URL              the API (default $INGOT_URL or http://127.0.0.1:6385)
  --token TOKEN          bearer token (default $INGOT_TOKEN); or $INGOT_USERNAME/$INGOT_PASSWORD
  --cacert FILE          CA bundle that signed the API's certificate (default $INGOT_CACERT)
  --timeout DURATION     give up after e.g. 90s, 10m, 1h (enroll, wait, deploy)
  --interval DURATION    how often a pipe or log gets a progress line (default 5s; a
                         terminal gets one line redrawn in place)
  --json                 machine-readable output on stdout, no progress display
  -h, --help             this help

${EXIT_CODES_HELP}
`;

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  cacert: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  timeout: { type: 'string' },
  interval: { type: 'string' },
  nodes: { type: 'string' },
  all: { type: 'boolean' },
  state: { type: 'string' },
  manage: { type: 'boolean' },
  provide: { type: 'boolean' },
  concurrency: { type: 'string' },
  image: { type: 'string' },
  checksum: { type: 'string' },
  'checksum-type': { type: 'string' },
  'user-data': { type: 'string' },
  follow: { type: 'boolean' },
  'since-id': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];
type Flag = keyof typeof OPTIONS;

const GLOBAL: Flag[] = ['url', 'token', 'cacert', 'json', 'help'];
const COMMAND_FLAGS: Record<string, Flag[]> = {
  enroll: ['manage', 'provide', 'concurrency', 'timeout', 'interval'],
  watch: ['nodes'],
  wait: ['state', 'nodes', 'all', 'timeout', 'interval'],
  deploy: [
    'image',
    'checksum',
    'checksum-type',
    'user-data',
    'nodes',
    'concurrency',
    'timeout',
    'interval',
  ],
  logs: ['follow', 'since-id'],
  doctor: [],
};

function parseDuration(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match)
    throw usageError(`--${flag} must be a duration such as 500ms, 90s, 10m or 1h, got "${text}"`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[
    (match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'
  ];
  return Number(match[1]) * unit;
}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw usageError(`--${name} must be a whole number of at least 1, got "${text}"`);
  return n;
}

const idents = (text: string | undefined) =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

export async function main(
  argv: string[],
  out = process.stdout,
  err = process.stderr,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    err.write(`ingot: ${(error as Error).message}\nRun 'ingot --help' for usage.\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    (command || values.help ? out : err).write(HELP);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  let client: ApiClient | undefined;
  try {
    const allowed = COMMAND_FLAGS[command];
    if (!allowed)
      throw usageError(
        `unknown command "${command}"; the commands are ${Object.keys(COMMAND_FLAGS).join(', ')}`,
      );
    const stray = (Object.keys(values) as Flag[]).filter(
      (f) => !GLOBAL.includes(f) && !allowed.includes(f),
    );
    if (stray.length > 0) throw usageError(`${command} takes no --${stray.join(', --')}`);
    const wantsArgument = command === 'enroll' || command === 'logs';
    if (rest.length !== (wantsArgument ? 1 : 0))
      throw usageError(
        wantsArgument
          ? `${command} takes one ${command === 'enroll' ? 'hosts file' : 'node'}`
          : `${command} takes no arguments, got "${rest.join(' ')}"`,
      );
    const timeoutMs = parseDuration('timeout', values.timeout);
    const progressEveryMs = parseDuration('interval', values.interval);
    if (progressEveryMs !== undefined && progressEveryMs < 100)
      throw usageError('--interval must be at least 100ms');
    const json = values.json ?? false;
    client = new ApiClient(clientSettings(values, process.env));
    switch (command) {
      case 'enroll':
        if (values.manage && values.provide)
          throw usageError('give --manage or --provide, not both');
        return await enroll(client, {
          file: rest[0]!,
          then: values.provide ? 'provide' : values.manage ? 'manage' : undefined,
          concurrency: positiveInt('concurrency', values.concurrency, 8),
          timeoutMs,
          progressEveryMs,
          json,
          out,
        });
      case 'wait': {
        if (!values.state) throw usageError('wait needs --state, e.g. --state available');
        if (!values.all && !values.nodes) throw usageError('wait needs --nodes A,B or --all');
        if (values.all && values.nodes) throw usageError('give --nodes or --all, not both');
        const result = await waitForNodes(client, {
          state: values.state,
          idents: idents(values.nodes),
          timeoutMs,
          progressEveryMs,
          json,
          out,
        });
        out.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${describeWait(result)}\n`);
        return waitExitCode(result);
      }
      case 'watch':
        return await watch(client, {
          idents: idents(values.nodes),
          json,
          out,
          signal: controller.signal,
        });
      case 'deploy': {
        if (!values.image || !values.checksum || !values.nodes)
          throw usageError('deploy needs --image URL, --checksum HEX and --nodes A,B');
        let userData: string | undefined;
        if (values['user-data']) {
          const { readFile } = await import('node:fs/promises');
          userData = await readFile(values['user-data'], 'utf8').catch((error: Error) => {
            throw usageError(`--user-data ${values['user-data']} cannot be read: ${error.message}`);
          });
        }
        const type = values['checksum-type'];
        if (type && !['sha256', 'sha512', 'md5'].includes(type))
          throw usageError(`--checksum-type must be sha256, sha512 or md5, got "${type}"`);
        if (!type && ![32, 64, 128].includes(values.checksum.length))
          throw usageError(
            '--checksum is not an md5, sha256 or sha512 hex digest: give --checksum-type',
          );
        return await deploy(client, {
          image: values.image,
          checksum: values.checksum,
          checksumType: type,
          idents: idents(values.nodes)!,
          userData,
          concurrency: positiveInt('concurrency', values.concurrency, 8),
          timeoutMs,
          progressEveryMs,
          json,
          out,
        });
      }
      case 'logs':
        return await logs(client, {
          node: rest[0]!,
          follow: values.follow ?? false,
          sinceId:
            values['since-id'] === undefined ? 0 : positiveInt('since-id', values['since-id'], 0),
          json,
          out,
          signal: controller.signal,
        });
      case 'doctor':
        return await doctor(client, { json, out });
    }
    return EXIT.usage;
  } catch (error) {
    if (error instanceof CliError) {
      err.write(`ingot: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    await client?.close();
  }
}

// Run as the `ingot` command (bin/ingot.js imports this module).
process.exitCode = await main(process.argv.slice(2));
