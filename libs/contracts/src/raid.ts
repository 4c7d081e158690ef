import { logicalDiskProperties } from './raid-config.js';

/**
 * What a logical disk of a target RAID configuration may say, with Ironic's descriptions (its
 * generic ironic/drivers/raid_config_schema.json, LogicalDiskSchema here). Ironic's no-raid
 * interface inherits the base RAID interface's get_logical_disk_properties, and its redfish one
 * keeps the generic schema, so every hardware type answers these.
 */
export const RAID_LOGICAL_DISK_PROPERTIES: Readonly<Record<string, string>> =
  logicalDiskProperties();
