import {
  ContinueInspectionBodySchema,
  InventorySchema,
  type ContinueInspectionBody,
  type Inventory,
} from '@ingot/contracts';
import { describeSchemaErrors } from './describe-errors.js';

/**
 * The start of the message when the agent's data cannot be used: the API's 400 to the agent, and
 * the node's last_error should the inspector ever be handed such data.
 */
export const MALFORMED_INVENTORY = 'Inventory from the agent is malformed';

/**
 * Checks the inventory IPA sent. The message names every problem by its path from
 * `inventory`, so that it can go to the node's last_error as is.
 */
export function validateInventory(
  raw: unknown,
): { ok: true; inventory: Inventory } | { ok: false; message: string } {
  const problems = describeSchemaErrors(InventorySchema, raw, 'inventory');
  if (problems.length > 0) return { ok: false, message: malformed(problems) };
  return { ok: true, inventory: raw as Inventory };
}

/**
 * Checks the whole continue_inspection body: the inventory and the plugin data beside it. The API
 * refuses with this message what the inspector would otherwise fail the node for.
 */
export function validateContinueInspectionBody(
  raw: unknown,
): { ok: true; body: ContinueInspectionBody } | { ok: false; message: string } {
  // Rooted at the body, paths read "inventory.cpu.count" and "root_disk.size".
  const problems = describeSchemaErrors(ContinueInspectionBodySchema, raw, 'body').map((p) =>
    p.replace(/^body\./, ''),
  );
  if (problems.length > 0) return { ok: false, message: malformed(problems) };
  return { ok: true, body: raw as ContinueInspectionBody };
}

const malformed = (problems: string[]) => `${MALFORMED_INVENTORY}: ${problems.join('; ')}`;
