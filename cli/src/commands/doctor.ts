import type { DoctorReport } from '@ingot/contracts';
import type { ApiClient } from '../client.js';
import { EXIT } from '../exit-codes.js';

const MARK = { ok: '✔', warning: '!', error: '✘' } as const;
const COLOR = { ok: '\x1b[32m', warning: '\x1b[33m', error: '\x1b[31m' } as const;

/** `ingot doctor`: GET /v1/doctor, each check with its mark and, when not ok, its fix. */
export async function doctor(
  client: ApiClient,
  opts: { json: boolean; out: NodeJS.WritableStream & { isTTY?: boolean } },
): Promise<number> {
  const { body: report } = await client.json<DoctorReport>('GET', '/v1/doctor');
  if (opts.json) opts.out.write(`${JSON.stringify(report, null, 2)}\n`);
  else opts.out.write(renderReport(report, !!opts.out.isTTY && !process.env.NO_COLOR));
  return report.status === 'ok'
    ? EXIT.ok
    : report.status === 'warning'
      ? EXIT.warnings
      : EXIT.failed;
}

export function renderReport(report: DoctorReport, color: boolean): string {
  const paint = (status: keyof typeof MARK, text: string) =>
    color ? `${COLOR[status]}${text}\x1b[0m` : text;
  const lines = report.checks.map((c) => {
    const head = `${paint(c.status, MARK[c.status])} ${c.title}: ${c.detail}`;
    return c.fix && c.status !== 'ok' ? `${head}\n    fix: ${c.fix}` : head;
  });
  const counts = (['error', 'warning', 'ok'] as const)
    .map((s) => `${report.checks.filter((c) => c.status === s).length} ${s}`)
    .join(', ');
  return `${lines.join('\n')}\n\n${paint(report.status, report.status.toUpperCase())}: ${counts} (checked ${report.checked_at})\n`;
}
