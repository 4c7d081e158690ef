import { describe, expect, it } from 'vitest';
import { rebootRequest } from '../src/host-inputs.js';
import { bootModeOf, imageProblem, instanceInfoOf, rootDeviceOf } from '../src/instance.js';

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
