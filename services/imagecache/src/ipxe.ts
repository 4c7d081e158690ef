export interface IpxeSettings {
  kernelUrl: string;
  initrdUrl: string;
  /** The Ingot API, where the agent looks itself up by MAC and receives its agent token. */
  apiUrl: string;
}

/**
 * The iPXE script that boots a node into the agent ramdisk, shaped like Ironic's ipxe_config:
 * retry on a failed fetch instead of falling through to the next boot device.
 *
 * It carries no agent token and no boot ISO URL: anyone who knows a node's UUID can fetch this
 * script, so the agent gets its token from the API at lookup, as with Ironic's PXE boot.
 */
export function ipxeScript(nodeUuid: string, settings: IpxeSettings): string {
  const args = [`initrd=agent.initrd`, `ipa-api-url=${settings.apiUrl}`, 'BOOTIF=${mac}'];
  return [
    '#!ipxe',
    `# Ingot: boot node ${nodeUuid} into the deploy agent`,
    ':deploy',
    'imgfree',
    `kernel --name agent.kernel ${settings.kernelUrl} ${args.join(' ')} || goto retry`,
    `initrd --name agent.initrd ${settings.initrdUrl} || goto retry`,
    'boot',
    ':retry',
    'echo Fetching the Ingot agent failed; retrying in 10 seconds',
    'sleep 10',
    'goto deploy',
    '',
  ].join('\n');
}
