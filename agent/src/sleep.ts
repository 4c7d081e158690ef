/** Thrown when the agent is stopped while it waits or works. */
export class AgentStopped extends Error {
  constructor() {
    super('the agent was stopped');
    this.name = 'AgentStopped';
  }
}

/** Waits, unless the signal fires first (then rejects with AgentStopped). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AgentStopped());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AgentStopped());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
