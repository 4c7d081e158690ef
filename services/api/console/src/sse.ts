import { authHeaders } from './credential.js';

/** One Server-Sent Event as the stream gave it. */
export interface StreamEvent {
  id: string | undefined;
  type: string;
  data: string;
}

export type StreamState = 'connecting' | 'live' | 'offline';

export interface EventStreamOptions {
  url: string;
  onEvent(event: StreamEvent): void;
  onState(state: StreamState, detail?: string): void;
}

/**
 * Splits a text/event-stream into events (the WHATWG parsing rules: `field: value` lines, a blank
 * line ends an event, `:` lines are comments). Fed chunks as they arrive.
 */
export class EventParser {
  private buffer = '';
  private data: string[] = [];
  private type = '';
  private id: string | undefined;
  /** The server's `retry:` advice, in milliseconds. */
  retryMs: number | undefined;

  constructor(private readonly emit: (event: StreamEvent) => void) {}

  /** The last chunk ended in CR: a LF opening the next one belongs to that line end. */
  private afterCr = false;

  push(chunk: string): void {
    if (this.afterCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.afterCr = chunk.endsWith('\r');
    this.buffer += chunk;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }

  private dispatch(): void {
    if (this.data.length > 0)
      this.emit({ id: this.id, type: this.type || 'message', data: this.data.join('\n') });
    this.data = [];
    this.type = '';
  }
}

/**
 * Reads GET /v1/events with fetch (EventSource cannot send the Authorization header) and keeps
 * reading: after a drop it reconnects with Last-Event-ID, so no transition is missed while the
 * stream still holds it (otherwise the server sends `reset`). Returns a function that stops it.
 */
export function openEventStream(options: EventStreamOptions): () => void {
  let lastEventId: string | undefined;
  let stopped = false;
  let controller: AbortController | undefined;
  let backoffMs = 500;

  const connectOnce = async (): Promise<string> => {
    controller = new AbortController();
    const response = await fetch(options.url, {
      headers: {
        accept: 'text/event-stream',
        ...authHeaders(),
        ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
      },
      signal: controller.signal,
      cache: 'no-store',
    });
    if (!response.ok || !response.body) return `the event stream answered HTTP ${response.status}`;
    const parser = new EventParser((event) => {
      if (event.id !== undefined) lastEventId = event.id;
      if (event.type === 'ready') {
        backoffMs = 500;
        options.onState('live');
      }
      options.onEvent(event);
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(value);
    }
    if (parser.retryMs !== undefined) backoffMs = parser.retryMs;
    return 'the event stream ended';
  };

  const run = async () => {
    while (!stopped) {
      options.onState('connecting');
      let why: string;
      try {
        why = await connectOnce();
      } catch (error) {
        why = `the event stream broke: ${(error as Error).message}`;
      }
      if (stopped) return;
      options.onState('offline', why);
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      backoffMs = Math.min(backoffMs * 2, 5_000);
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
