import { access } from 'node:fs/promises';

/** Debian's OVMF (package ovmf): 4 MiB code and its matching variable store template. */
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

export async function ovmfFiles(): Promise<{ code: string; varsTemplate: string }> {
  for (const file of [OVMF_CODE, OVMF_VARS])
    await access(file).catch(() => {
      throw new Error(`UEFI firmware ${file} is missing: install it with \`apt-get install ovmf\``);
    });
  return { code: OVMF_CODE, varsTemplate: OVMF_VARS };
}
