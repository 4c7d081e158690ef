import type { DeliveryContext } from '@ingot/bus';
import type { ConductorCommand } from '@ingot/contracts';
import type { ConductorContext } from '../context.js';
import { handleBootDeviceCommand } from './boot-device.js';
import {
  handleBootModeCommand,
  handleSecureBootCommand,
  handleVmediaCommand,
} from './boot-settings.js';
import { handleHeartbeat } from './heartbeat.js';
import { handleInspectionResult } from './inspection-result.js';
import { handlePowerCommand } from './power.js';
import { handleProvisionCommand } from './provision.js';

/** Routes a conductor command to its handler. */
export function dispatch(
  ctx: ConductorContext,
  cmd: ConductorCommand,
  delivery: Pick<DeliveryContext, 'deliveryCount' | 'maxDeliver'>,
): Promise<void> {
  switch (cmd.type) {
    case 'node.provision':
      return handleProvisionCommand(ctx, cmd);
    case 'node.power':
      return handlePowerCommand(ctx, cmd);
    case 'node.boot_device':
      return handleBootDeviceCommand(ctx, cmd);
    case 'node.boot_mode':
      return handleBootModeCommand(ctx, cmd);
    case 'node.secure_boot':
      return handleSecureBootCommand(ctx, cmd);
    case 'node.vmedia':
      return handleVmediaCommand(ctx, cmd);
    case 'node.heartbeat':
      return handleHeartbeat(ctx, cmd, delivery);
    case 'node.inspection_result':
      return handleInspectionResult(ctx, cmd);
  }
}
