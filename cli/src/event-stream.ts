import type { ApiClient } from './client.js';
import { describeFailure, ApiError } from './client.js';

export interface StreamMessage {
  id?: string;
  event: string;
  data: string;
}

/** The API has no GET /v1/events (an older Ingot): the caller falls back to polling. */
export class StreamUnavailable extends Error {}

/**
 * Reads GET /v1/events (Server-Sent Events) and hands each message to `onMessage`, reconnecting
 * with Last-Event-ID when the connection drops, until `signal` aborts. The first message of each
 * connection is `ready`; a `reset` says events were missed and the caller must reload.
 */
export async function followEvents(
  client: ApiClient,
  query: URLSearchParams,
  onMessage: (message: StreamMessage) => void,
  signal: AbortSignal,
): Promise<void> {
  let lastEventId: string | undefined;
  let failures = 0;
  while (!signal.aborted) {
    try {
      const response = await client.request(`/v1/events?${query}`, {
        headers: {
          accept: 'text/event-stream',
          ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        },
        signal,
      });
      if (response.status === 404 || response.status === 405)
        throw new StreamUnavailable(`the API has no event stream (HTTP ${response.status})`);
      if (!response.ok || !response.body) {
        const text = await response.text();
        throw new ApiError(
          response.status,
          describeFailure('GET', '/v1/events', response.status, safeJson(text), text),
        );
      }
      failures = 0;
      for await (const message of parseEventStream(response.body as AsyncIterable<Uint8Array>)) {
        if (message.id) lastEventId = message.id;
        onMessage(message);
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof StreamUnavailable || (error instanceof ApiError && error.status < 500))
        throw error;
      // A dropped connection or an API restarting: resume from the last event seen.
      failures += 1;
      if (failures > 5) throw error;
    }
    if (!signal.aborted)
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** failures, 5_000)));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The text/event-stream format (WHATWG HTML §9.2): fields up to a blank line make a message. */
export async function* parseEventStream(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<StreamMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0 || event)
          yield { id, event: event || 'message', data: data.join('\n') };
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue; // keep-alive comment
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
  }
}
