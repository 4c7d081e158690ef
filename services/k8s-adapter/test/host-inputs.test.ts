import { describe, expect, it } from 'vitest';
import type { BareMetalHost } from '@ingot/metal3';
import { automatedCleanOfMode, rebootRequest } from '../src/host-inputs.js';
import { bootModeOf, imageProblem, instanceInfoOf, rootDeviceOf } from '../src/instance.js';
import type { ReconcilerDeps } from '../src/reconcile-context.js';
import { bmcOf } from '../src/registration.js';

describe('reboot annotations', () => {
  it('none: no reboot; the plain and the keyed ones count, soft unless one says hard', () => {
    expect(rebootRequest({ other: 'x' })).toBeUndefined();
    expect(rebootRequest({ 'reboot.metal3.io': '' })).toEqual({
      mode: 'soft',
      keys: ['reboot.metal3.io'],
    });
    expect(
      rebootRequest({
        'reboot.metal3.io/capm3': '{"mode":"soft"}',
        'reboot.metal3.io/ops': '{"mode":"hard"}',
      }),
    ).toEqual({ mode: 'hard', keys: ['reboot.metal3.io/capm3', 'reboot.metal3.io/ops'] });
    expect(rebootRequest({ 'reboot.metal3.io/x': 'not json' })?.mode).toBe('soft');
  });
});

describe("spec.image, rootDeviceHints and bootMode as Ingot's node fields", () => {
  const sha256 = 'a'.repeat(64);
  it('maps the image with its checksum type, inferring it from the digest length for auto', () => {
    expect(
      instanceInfoOf({ url: 'http://127.0.0.1/i.qcow2', checksum: sha256, format: 'qcow2' }),
    ).toEqual({
      image_source: 'http://127.0.0.1/i.qcow2',
      image_os_hash_algo: 'sha256',
      image_os_hash_value: sha256,
      image_disk_format: 'qcow2',
      capabilities: {},
    });
    expect(
      instanceInfoOf({ url: 'http://x/i', checksum: 'b'.repeat(32), checksumType: 'md5' })
        .image_os_hash_algo,
    ).toBe('md5');
  });

  it('says why an image cannot be deployed', () => {
    expect(imageProblem({ url: 'http://x/i', checksum: sha256 })).toBeUndefined();
    expect(imageProblem({ url: 'http://x/i', checksum: sha256, format: 'live-iso' })).toMatch(
      /live-iso' is not supported/,
    );
    expect(imageProblem({ url: 'http://x/i', checksum: 'http://x/i.sha256' })).toMatch(
      /hex digest/,
    );
  });

  it("maps root device hints to Ironic's root_device and boot modes to uefi/bios", () => {
    expect(
      rootDeviceOf({ deviceName: '/dev/sda', minSizeGigabytes: 20, rotational: false }),
    ).toEqual({
      name: '/dev/sda',
      size: '>= 20',
      rotational: false,
    });
    expect(rootDeviceOf(undefined)).toBeNull();
    expect(bootModeOf('legacy')).toBe('bios');
    expect(bootModeOf('UEFISecureBoot')).toBe('uefi');
  });
});

describe('spec.bootMode UEFISecureBoot', () => {
  const image = { url: 'http://127.0.0.1/i.raw', checksum: 'c'.repeat(64) };

  it('boots UEFI and asks for secure boot in instance_info.capabilities, as baremetal-operator does', () => {
    expect(bootModeOf('UEFISecureBoot')).toBe('uefi');
    expect(instanceInfoOf(image, 'UEFISecureBoot').capabilities).toEqual({ secure_boot: 'true' });
  });

  it('UEFI, legacy and unset ask for none, so a host that drops secure boot loses it on redeploy', () => {
    expect(instanceInfoOf(image, 'UEFI').capabilities).toEqual({});
    expect(instanceInfoOf(image, 'legacy').capabilities).toEqual({});
    expect(instanceInfoOf(image).capabilities).toEqual({});
  });

  it('is a registration error for an ipmi:// BMC, as in baremetal-operator', async () => {
    const host = {
      metadata: { namespace: 'metal3', name: 'ipmi-host' },
      spec: {
        online: true,
        bootMode: 'UEFISecureBoot',
        bmc: { address: 'ipmi://127.0.0.1:6230', credentialsName: 'bmc-secret' },
      },
    } as unknown as BareMetalHost;
    // Refused before the Secret is read: no Kubernetes client is needed.
    const deps = { loopbackBmcOnly: true } as unknown as ReconcilerDeps;
    await expect(bmcOf(deps, host)).rejects.toMatchObject({
      type: 'registration error',
      message: expect.stringMatching(/BMC driver ipmi does not support secure boot/),
    });
  });
});

describe("spec.automatedCleaningMode as the node's automated_clean", () => {
  it('disabled is false; metadata and the default (unset) are true', () => {
    expect(automatedCleanOfMode('disabled')).toBe(false);
    expect(automatedCleanOfMode('metadata')).toBe(true);
    expect(automatedCleanOfMode(undefined)).toBe(true);
  });
});
