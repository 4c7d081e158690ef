import type { Inventory } from '@ingot/contracts';
import { validateInventory } from '@ingot/inventory';
import { ipaInventory } from '../../../libs/inventory/test/fixtures/ipa-inventory.js';

/** The fixture inventory, validated and typed, after `change` edits the raw copy. */
export function validInventory(change: (raw: any) => void = () => {}): Inventory {
  const raw = ipaInventory();
  change(raw);
  const result = validateInventory(raw);
  if (!result.ok) throw new Error(result.message);
  return result.inventory;
}
