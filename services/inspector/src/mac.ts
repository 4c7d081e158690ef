import { MAC_ADDRESS_PATTERN } from '@ingot/contracts';

const MAC = new RegExp(MAC_ADDRESS_PATTERN);

export const isMacAddress = (value: unknown): value is string =>
  typeof value === 'string' && MAC.test(value);

/**
 * The MAC in a boot-interface value, lowercased, or null. PXE firmware and IPA report the boot
 * interface in pxelinux form ("01-aa-bb-cc-dd-ee-ff", 01 = Ethernet); plain MACs pass through.
 */
export function macFromBootInterface(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const plain =
    /^[0-9a-f]{2}-/i.test(value) && value.split('-').length === 7
      ? value.split('-').slice(1).join(':')
      : value;
  return isMacAddress(plain) ? plain.toLowerCase() : null;
}
