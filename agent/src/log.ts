// JSON-lines logging to stdout, with secrets masked and a ring of recent lines kept for
// log.collect_system_logs.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LogSink {
  write(line: string): void;
}

export type LogFields = Record<string, unknown>;

/** One line as the log shipper takes it: the message with its fields, secrets masked. */
export interface LogEntry {
  time: string;
  level: LogLevel;
  message: string;
}

const MASK = '******';
/** Keys whose values never reach a line, at any depth. */
const SECRET_KEYS = new Set(['agent_token', 'token', 'password', 'authorization', 'configdrive']);

export class AgentLogger {
  private readonly secrets = new Set<string>();
  private readonly recent: string[] = [];
  private readonly listeners: Array<(entry: LogEntry) => void> = [];

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

  /** Calls `listener` with every later line; it must return at once and never throw. */
  subscribe(listener: (entry: LogEntry) => void): void {
    this.listeners.push(listener);
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
    if (this.listeners.length > 0) {
      const entry = { time: record.time, level, message: this.masked(msg, fields) };
      for (const listener of this.listeners) listener(entry);
    }
  }

  /** `msg {"field":value,...}`, with the same masking as the JSON line. */
  private masked(msg: string, fields: LogFields): string {
    let text =
      Object.keys(fields).length > 0 ? `${msg} ${JSON.stringify(fields, redactKeys)}` : msg;
    for (const secret of this.secrets) text = text.split(secret).join(MASK);
    return text;
  }
}

function redactKeys(key: string, value: unknown): unknown {
  if (SECRET_KEYS.has(key.toLowerCase()) && value !== undefined && value !== null) return MASK;
  if (value instanceof Error) return value.message;
  return value;
}

/** A sink that drops lines (quiet in-process tests still keep the recent-lines ring). */
export const silentSink: LogSink = { write: () => undefined };
