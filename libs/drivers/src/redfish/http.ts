import { request } from 'undici';
import { dispatcherFor } from './dispatchers.js';
import type { RedfishConfig } from './driver-config.js';
import { recordStatus, withClientSpan } from './tracing.js';
import { isConnectionError, transportError } from './transport-errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpCall {
  method: HttpMethod;
  /** Absolute path on the BMC, e.g. /redfish/v1/Systems/1 */
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body; undefined when empty or not JSON. */
  json: unknown;
  text: string;
}

/** Backoffs between attempts of a GET that failed to connect; a couple of quick retries only. */
const GET_RETRY_DELAYS_MS = [100, 300];

/**
 * One HTTP exchange with a BMC: bounded by the node's timeout, traced, and with transport
 * failures turned into BmcErrors. Only GETs are re-sent: they are idempotent, a Reset is not.
 */
export async function exchange(config: RedfishConfig, call: HttpCall): Promise<HttpAnswer> {
  const retries = call.method === 'GET' ? GET_RETRY_DELAYS_MS : [];
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptOnce(config, call);
    } catch (err) {
      const backoff = retries[attempt];
      if (backoff === undefined || !isConnectionError((err as Error).cause)) throw err;
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}

function attemptOnce(config: RedfishConfig, call: HttpCall): Promise<HttpAnswer> {
  return withClientSpan(config, call.method, call.path, async (span, traceHeaders) => {
    const controller = new AbortController();
    const timeout = { expired: false, ms: config.timeoutMs };
    const timer = setTimeout(() => {
      timeout.expired = true;
      controller.abort();
    }, config.timeoutMs);
    try {
      const res = await request(`${config.origin}${call.path}`, {
        method: call.method,
        headers: {
          accept: 'application/json',
          'odata-version': '4.0',
          ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...traceHeaders,
          ...call.headers,
        },
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        dispatcher: dispatcherFor(config),
        signal: controller.signal,
      });
      const text = await res.body.text();
      recordStatus(span, res.statusCode);
      return { status: res.statusCode, headers: res.headers, json: parseJson(text), text };
    } catch (err) {
      throw transportError(err, config.bmc, timeout);
    } finally {
      clearTimeout(timer);
    }
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
