import type { DoctorCheck } from '@ingot/contracts';
import { displayUrl } from '@ingot/service';
import { isFresh, siteName, type SeenHeartbeat } from './heartbeats.js';

const PROBE_TIMEOUT_MS = 3_000;

/** GETs a URL as a node would; undefined when it answered as expected, else what went wrong. */
async function probe(url: string, expect: (response: Response) => Promise<string | undefined>) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return await expect(response);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? (error as Error).message;
  }
}

const settingOf = (s: SeenHeartbeat, key: string): string | undefined => {
  const value = s.heartbeat.settings[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** The distinct values of a setting among the fresh instances of a service, by site. */
function settingsBySite(seen: SeenHeartbeat[], service: string, key: string, now: Date) {
  const bySite = new Map<string, Set<string>>();
  for (const s of seen) {
    if (s.heartbeat.service !== service || !isFresh(s, now)) continue;
    const value = settingOf(s, key);
    if (!value) continue;
    const values = bySite.get(s.heartbeat.site) ?? new Set<string>();
    values.add(value);
    bySite.set(s.heartbeat.site, values);
  }
  return bySite;
}

const isIngotApiRoot = async (response: Response) => {
  if (!response.ok) return `HTTP ${response.status}`;
  const body = (await response.json().catch(() => null)) as { id?: unknown } | null;
  return body?.id === 'v1'
    ? undefined
    : 'it answered, but not as an Ingot API (/v1/ has no id "v1")';
};
const isHealthy = async (response: Response) =>
  response.ok ? undefined : `HTTP ${response.status} from /healthz`;
const isServed = async (response: Response) => {
  await response.body?.cancel();
  return response.ok ? undefined : `HTTP ${response.status}`;
};

/**
 * The URLs the services hand to nodes, fetched as given: the agent API URL of each site's
 * conductors (written into boot ISOs) and the public URL of each site's image caches (what agents
 * download images from). A URL right for this host but not for the nodes shows up here.
 */
export async function nodeFacingUrlChecks(
  seen: SeenHeartbeat[],
  now: Date,
): Promise<DoctorCheck[]> {
  const checks: Promise<DoctorCheck>[] = [];
  for (const [site, urls] of settingsBySite(seen, 'conductor', 'agent_api_url', now))
    for (const url of urls)
      checks.push(
        probe(`${url.replace(/\/+$/, '')}/v1/`, isIngotApiRoot).then((problem) => ({
          name: `url.agent_api.${siteName(site)}`,
          title: `Agent API URL of site '${siteName(site)}' reachable`,
          status: problem ? 'error' : 'ok',
          detail: problem
            ? `${displayUrl(url)}, which the conductors of site '${siteName(site)}' hand to nodes, did not answer as the API: ${problem}`
            : `${displayUrl(url)} answers as the Ingot API`,
          ...(problem
            ? {
                fix: `Set INGOT_AGENT_API_URL of the conductors of site '${siteName(site)}' (and INGOT_API_PUBLIC_URL of its image caches) to the URL at which nodes reach the API, then restart them.`,
              }
            : {}),
        })),
      );
  for (const [site, urls] of settingsBySite(seen, 'imagecache', 'public_url', now))
    for (const url of urls)
      checks.push(
        probe(`${url}/healthz`, isHealthy).then((problem) => ({
          name: `url.imagecache.${siteName(site)}`,
          title: `Image cache URL of site '${siteName(site)}' reachable`,
          status: problem ? 'error' : 'ok',
          detail: problem
            ? `${displayUrl(url)}, where agents of site '${siteName(site)}' download images, did not answer: ${problem}`
            : `${displayUrl(url)} answers`,
          ...(problem
            ? {
                fix: `Set INGOT_IMAGECACHE_PUBLIC_URL of the image caches of site '${siteName(site)}' to the URL at which nodes reach them (host and port they listen on), then restart them.`,
              }
            : {}),
        })),
      );
  return Promise.all(checks);
}

/**
 * iPXE settings of each site's image caches: deploy kernel and ramdisk both or neither, both
 * served, and the ipa-api-url of their scripts the same API the conductors hand to nodes.
 */
export async function ipxeChecks(seen: SeenHeartbeat[], now: Date): Promise<DoctorCheck[]> {
  const caches = seen.filter((s) => s.heartbeat.service === 'imagecache' && isFresh(s, now));
  const sites = [...new Set(caches.map((s) => s.heartbeat.site))].sort();
  const agentUrls = settingsBySite(seen, 'conductor', 'agent_api_url', now);
  return Promise.all(
    sites.map(async (site): Promise<DoctorCheck> => {
      const base = {
        name: `ipxe.${siteName(site)}`,
        title: `iPXE and kernel settings of site '${siteName(site)}' consistent`,
      };
      const problems: string[] = [];
      const fixes: string[] = [];
      for (const cache of caches.filter((s) => s.heartbeat.site === site)) {
        const kernel = settingOf(cache, 'ipxe_kernel_url');
        const initrd = settingOf(cache, 'ipxe_initrd_url');
        if (!!kernel !== !!initrd) {
          problems.push(
            `${cache.heartbeat.instance} has ${kernel ? 'a kernel but no ramdisk' : 'a ramdisk but no kernel'}`,
          );
          fixes.push(
            'Set both INGOT_IPXE_KERNEL_URL and INGOT_IPXE_INITRD_URL (or INGOT_AGENT_KERNEL and INGOT_AGENT_INITRAMFS) of the image caches, or neither.',
          );
        }
        for (const [what, url] of [
          ['kernel', kernel],
          ['ramdisk', initrd],
        ] as const) {
          if (!url) continue;
          const problem = await probe(url, isServed);
          if (problem) {
            problems.push(`the deploy ${what} ${displayUrl(url)} is not served: ${problem}`);
            fixes.push(
              `Point INGOT_IPXE_${what === 'kernel' ? 'KERNEL' : 'INITRD'}_URL at a file the nodes can download, or build the agent ramdisk (bash scripts/build-agent-ramdisk.sh).`,
            );
          }
        }
        const ipaApi = settingOf(cache, 'ipa_api_url');
        const conductorUrls = agentUrls.get(site);
        if (ipaApi && conductorUrls && !conductorUrls.has(ipaApi)) {
          problems.push(
            `iPXE scripts send agents to ${displayUrl(ipaApi)}, the conductors' boot ISOs to ${[...conductorUrls].map(displayUrl).join(', ')}`,
          );
          fixes.push(
            `Give INGOT_API_PUBLIC_URL of the image caches of site '${siteName(site)}' the same value as INGOT_AGENT_API_URL of its conductors.`,
          );
        }
      }
      if (problems.length === 0)
        return {
          ...base,
          status: 'ok',
          detail: `${caches.filter((s) => s.heartbeat.site === site).length} image cache(s) agree with the conductors`,
        };
      return { ...base, status: 'warning', detail: problems.join('; '), fix: fixes[0]! };
    }),
  );
}

const GiB = 1024 ** 3;
const gib = (n: number) => `${(n / GiB).toFixed(1)} GiB`;

/** Each image cache's use of its budget, and whether its disk can hold the budget at all. */
export function diskBudgetChecks(seen: SeenHeartbeat[], now: Date): DoctorCheck[] {
  return seen
    .filter((s) => s.heartbeat.service === 'imagecache' && isFresh(s, now))
    .map((s): DoctorCheck => {
      const {
        budget_bytes: budget,
        used_bytes: used,
        disk_free_bytes: free,
      } = s.heartbeat.settings as Record<string, number | null>;
      const base = {
        name: `imagecache.disk.${siteName(s.heartbeat.site)}.${s.heartbeat.instance}`,
        title: `Image cache disk of site '${siteName(s.heartbeat.site)}' (${s.heartbeat.instance})`,
      };
      if (typeof budget !== 'number' || typeof used !== 'number')
        return {
          ...base,
          status: 'warning',
          detail: 'the image cache does not report its disk use',
          fix: 'Upgrade the image cache: its heartbeat has no disk use.',
        };
      const detail = `${gib(used)} of a ${gib(budget)} budget used${typeof free === 'number' ? `, ${gib(free)} free on its disk` : ''}`;
      if (typeof free === 'number' && free < budget - used)
        return {
          ...base,
          status: 'warning',
          detail: `${detail}: the disk fills before the budget is reached`,
          fix: 'Lower INGOT_IMAGECACHE_BUDGET_BYTES below the free space of INGOT_IMAGECACHE_DIR, or give that directory a larger disk.',
        };
      if (used > 0.9 * budget)
        return {
          ...base,
          status: 'warning',
          detail: `${detail}: nearly full, older images are evicted to make room`,
          fix: 'Raise INGOT_IMAGECACHE_BUDGET_BYTES if the disk allows, so that images in use are not downloaded again.',
        };
      return { ...base, status: 'ok', detail };
    });
}
