// What standby.get_partition_uuids reports after a whole-disk image was written.
import type { TargetDisk } from '../disks/devices.js';
import { readPartitionTable } from '../disks/partition-table.js';

const ESP_GUID = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
const PREP_GUID = '9E1A2D38-C612-4316-AA26-8B49521E5A8B';

/** IPA's keys: "root uuid" (the disk identifier), plus the ESP and PReP partitions if any. */
export async function partitionUuids(disk: TargetDisk): Promise<Record<string, string>> {
  const table = await readPartitionTable(disk);
  if (!table) return {};
  const result: Record<string, string> = { 'root uuid': table.id };
  const uuidOf = (number: number, uuid: string | undefined) =>
    // MBR partitions have no UUID of their own; Linux names them "<disk signature>-<NN>".
    uuid ?? `${table.id.replace(/^0x/, '')}-${String(number).padStart(2, '0')}`;
  for (const part of table.partitions) {
    const type = part.type.toUpperCase();
    if (type === ESP_GUID || type === 'EF') {
      result['efi system partition uuid'] = uuidOf(part.number, part.uuid);
    } else if (type === PREP_GUID || type === '41') {
      result['PReP Boot partition uuid'] = uuidOf(part.number, part.uuid);
    }
  }
  return result;
}
