// JSON-lines logging to stdout, with secrets masked and a ring of recent lines kept for
// log.collect_system_logs.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LogSink {
  write(line: string): void;
}

export type LogFields = Record<string, unknown>;

const MASK = '******';
/** Keys whose values never reach a line, at any depth. */
const SECRET_KEYS = new Set(['agent_token', 'token', 'password', 'authorization', 'configdrive']);

export class AgentLogger {
  private readonly secrets = new Set<string>();
  private readonly recent: string[] = [];

  constructor(
    private readonly sink: LogSink = process.stdout,
    private readonly keepLines = 2000,
  ) {}

  /** Masks every later occurrence of this value, wherever it appears in a line. */
  addSecret(secret: string | undefined): void {
    if (secret && secret.length >= 8) this.secrets.add(secret);
  }

  debug(msg: string, fields?: LogFields): void {
    this.emit('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.emit('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.emit('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.emit('error', msg, fields);
  }
  fatal(msg: string, fields?: LogFields): void {
    this.emit('fatal', msg, fields);
  }

  recentLines(): string[] {
    return [...this.recent];
  }

  private emit(level: LogLevel, msg: string, fields: LogFields = {}): void {
    const record = {
      time: new Date().toISOString(),
      level,
      service: 'ingot-agent',
      msg,
      ...fields,
    };
    let line = JSON.stringify(record, redactKeys);
    for (const secret of this.secrets) line = line.split(secret).join(MASK);
    this.recent.push(line);
    if (this.recent.length > this.keepLines) this.recent.shift();
    this.sink.write(line + '\n');
  }
}

function redactKeys(key: string, value: unknown): unknown {
  if (SECRET_KEYS.has(key.toLowerCase()) && value !== undefined && value !== null) return MASK;
  if (value instanceof Error) return value.message;
  return value;
}

/** A sink that drops lines (quiet in-process tests still keep the recent-lines ring). */
export const silentSink: LogSink = { write: () => undefined };
