import { useEffect, useState } from 'preact/hooks';
import type { FleetStore } from './store.js';

/** Re-renders the component when the store changes; returns the store's version. */
export function useStore(store: FleetStore): number {
  const [version, setVersion] = useState(store.version);
  useEffect(() => store.subscribe(() => setVersion(store.version)), [store]);
  return version;
}

/** `value`, once it has stopped changing for `ms` (filters typed into a box). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
