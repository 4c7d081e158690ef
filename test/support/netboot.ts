import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ImageOrigin, type Installation, type TestImage } from '@ingot/lab';

/**
 * Serves the test image and a stand-in agent kernel and initrd (the lab's iPXE firmware fetches
 * them before it starts the agent), with the settings that point the image cache's iPXE scripts
 * at them.
 */
export async function startNetbootOrigin(
  dir: string,
  image: TestImage,
): Promise<{ origin: ImageOrigin; env: Record<string, string> }> {
  await writeFile(join(dir, 'agent.kernel'), 'lab agent kernel');
  await writeFile(join(dir, 'agent.initrd'), 'lab agent initrd');
  const origin = await ImageOrigin.start({
    '/images/test.qcow2': image.qcow2Path,
    '/agent.kernel': join(dir, 'agent.kernel'),
    '/agent.initrd': join(dir, 'agent.initrd'),
  });
  return {
    origin,
    env: {
      INGOT_IPXE_KERNEL_URL: `${origin.url}/agent.kernel`,
      INGOT_IPXE_INITRD_URL: `${origin.url}/agent.initrd`,
    },
  };
}

/** The DHCP answer of the lab's provisioning network: the image cache's iPXE boot script. */
export const bootScriptUrl = (system: Installation): string =>
  `http://127.0.0.1:${system.service('imagecache').opsPort}/ipxe/boot.ipxe`;

/** The port of a node's boot NIC, as Metal3 creates it for a host's bootMACAddress. */
export async function addBootPort(system: Installation, nodeUuid: string, mac: string) {
  const port = await system.api('POST', '/v1/ports', {
    node_uuid: nodeUuid,
    address: mac,
    pxe_enabled: true,
  });
  expect(port.status, port.text).toBe(201);
}
