import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { waitFor } from '../wait-for.js';

export interface QmpEvents {
  /** QEMU's SHUTDOWN event: `guest` when the guest OS asked (poweroff, or reboot under -no-reboot). */
  shutdown: [{ guest: boolean; reason: string }];
}

/**
 * A QEMU Machine Protocol connection (JSON lines on a unix socket): the lab learns from it why a
 * VM stopped, and asks QEMU to quit through it.
 */
export class QmpConnection extends EventEmitter<QmpEvents> {
  private buffer = '';
  private readonly replies: Array<(reply: Record<string, unknown>) => void> = [];

  private constructor(private readonly socket: Socket) {
    super();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.received(chunk));
    socket.on('error', () => undefined); // QEMU exiting closes it; the process exit says why.
  }

  /** Connects once QEMU has made the socket, and leaves capabilities negotiation mode. */
  static async open(path: string, timeoutMs = 10_000): Promise<QmpConnection> {
    const socket = await waitFor(
      `QEMU's QMP socket ${path}`,
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect(path, () => resolve(s));
          s.once('error', reject);
        }),
      timeoutMs,
      50,
    );
    const qmp = new QmpConnection(socket);
    await qmp.execute('qmp_capabilities');
    return qmp;
  }

  execute(command: string, args?: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(new Error(`QMP ${command}: QEMU has exited`));
      this.replies.push(resolve);
      this.socket.write(`${JSON.stringify({ execute: command, arguments: args })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private received(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (!line) continue;
      const message = JSON.parse(line) as Record<string, unknown>;
      if (message.event === 'SHUTDOWN') {
        const data = (message.data ?? {}) as { guest?: boolean; reason?: string };
        this.emit('shutdown', { guest: data.guest === true, reason: data.reason ?? 'unknown' });
      } else if ('return' in message || 'error' in message) {
        this.replies.shift()?.(message);
      }
    }
  }
}
