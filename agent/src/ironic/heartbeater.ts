// Heartbeats: how the conductor learns where the agent listens, and when to send the next step.
import type { AgentLogger } from '../log.js';
import { AGENT_VERSION } from '../version.js';
import type { IronicClient } from './api-client.js';

export interface HeartbeaterOptions {
  client: IronicClient;
  nodeUuid: string;
  callbackUrl: string;
  token: string;
  /** The command API's self-signed certificate (auto TLS), sent as agent_verify_ca. */
  verifyCa?: string;
  /** From the lookup's config; beats come every 30–60 % of it. */
  heartbeatTimeoutS: number;
  /** A forced beat waits until this long after the previous one. */
  minGapS: number;
  log: AgentLogger;
  random?: () => number;
}

const ERROR_DELAY_MIN_S = 1;
const ERROR_DELAY_MAX_S = 30;

export class Heartbeater {
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private forcePending = false;
  private stopped = true;
  private lastAttemptAt = 0;
  private errorDelayS = ERROR_DELAY_MIN_S;
  private readonly random: () => number;

  constructor(private readonly opts: HeartbeaterOptions) {
    this.random = opts.random ?? Math.random;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** An async command finished: tell the conductor now rather than at the next regular beat. */
  force(): void {
    if (this.stopped) return;
    if (this.inFlight) {
      this.forcePending = true;
      return;
    }
    const wait = Math.max(0, this.lastAttemptAt + this.opts.minGapS * 1000 - Date.now());
    this.schedule(wait);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), delayMs);
  }

  private async beat(): Promise<void> {
    if (this.stopped || this.inFlight) return;
    this.inFlight = true;
    this.forcePending = false;
    this.lastAttemptAt = Date.now();
    let nextS: number;
    try {
      const res = await this.opts.client.heartbeat(this.opts.nodeUuid, {
        callback_url: this.opts.callbackUrl,
        agent_version: AGENT_VERSION,
        agent_token: this.opts.token,
        ...(this.opts.verifyCa ? { agent_verify_ca: this.opts.verifyCa } : {}),
      });
      if (res.status === 202 || res.status === 200 || res.status === 204) {
        nextS = this.opts.heartbeatTimeoutS * this.between(0.3, 0.6);
        this.errorDelayS = ERROR_DELAY_MIN_S;
        this.opts.log.info('heartbeat sent', { next_in_s: round(nextS) });
      } else if (res.status === 409) {
        // The node is reserved (busy conductor); Ironic asks agents to come back shortly.
        nextS = this.between(5, 10);
        this.opts.log.warn('heartbeat conflict, retrying', { retry_in_s: round(nextS) });
      } else {
        nextS = this.backoff();
        this.opts.log.error('heartbeat refused', {
          status: res.status,
          body: res.text.slice(0, 500),
          retry_in_s: nextS,
        });
      }
    } catch (err) {
      nextS = this.backoff();
      this.opts.log.error('heartbeat failed', { error: (err as Error).message, retry_in_s: nextS });
    } finally {
      this.inFlight = false;
    }
    if (this.forcePending) this.force();
    else this.schedule(nextS * 1000);
  }

  private between(min: number, max: number): number {
    return min + (max - min) * this.random();
  }

  private backoff(): number {
    const delay = this.errorDelayS;
    this.errorDelayS = Math.min(this.errorDelayS * 2, ERROR_DELAY_MAX_S);
    return delay;
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}
