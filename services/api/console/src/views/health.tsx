import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { time } from '../format.js';

/** GET /v1/doctor (an Ingot extension, contract 3 of issue 12). */
interface DoctorReport {
  status: 'ok' | 'warning' | 'error';
  checked_at: string;
  checks: { name: string; title: string; status: string; detail: string; fix?: string }[];
}

/** The doctor runs real probes: ask again at most this often while the overview is open. */
const REFRESH_MS = 60_000;

/** The installation's own diagnosis: its overall status, and each finding that is not ok with its fix. */
export function Health() {
  const [report, setReport] = useState<DoctorReport | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    const check = () =>
      api<DoctorReport>('GET', '/v1/doctor')
        .then((fresh) => {
          if (cancelled) return;
          setReport(fresh);
          setProblem(null);
        })
        .catch((error: unknown) => {
          if (cancelled) return;
          const status = error instanceof ApiError ? error.status : 0;
          setProblem(
            status === 404
              ? 'This API does not offer GET /v1/doctor.'
              : status === 403
                ? 'Your role may not run the doctor.'
                : `The doctor could not run: ${(error as Error).message}`,
          );
        });
    void check();
    const timer = setInterval(check, REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, []);
  if (problem) return <p class="muted">{problem}</p>;
  if (!report) return <p class="muted">Asking the doctor…</p>;
  const findings = report.checks.filter((c) => c.status !== 'ok');
  return (
    <div class={`health health-${report.status}`} data-testid="health" data-status={report.status}>
      <p>
        <strong>{report.status === 'ok' ? 'All checks pass' : `Doctor: ${report.status}`}</strong>{' '}
        <span class="muted">
          ({report.checks.length} checks, {time(report.checked_at)})
        </span>
      </p>
      {findings.length > 0 && (
        <ul>
          {findings.map((c) => (
            <li key={c.name} class={`finding finding-${c.status}`}>
              <strong>{c.title}</strong>: {c.detail}
              {c.fix && <div class="fix">Fix: {c.fix}</div>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
