/** "3.2 s", "4 min 10 s", "2 h 5 min": how long something took, at a useful precision. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A timestamp in the reader's time zone, to the second. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { hour12: false });
}

/** The conductor group '' is the default site. */
export const siteName = (group: string | null | undefined) => group || 'default';

/** A state as a CSS class: `deploy failed` → `state-deploy-failed`. */
export const stateClass = (state: string | null | undefined) =>
  `state state-${(state ?? 'none').replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
