import {
  FIRMWARE_CONDITIONS,
  FIRMWARESCHEMA_KIND,
  FIRMWARESCHEMA_PLURAL,
  HOSTFIRMWARESETTINGS_KIND,
  HOSTFIRMWARESETTINGS_PLURAL,
  METAL3_API_VERSION,
  type BareMetalHost,
  type FirmwareSchema,
  type HostFirmwareSettings,
  type SettingSchema,
} from '@ingot/metal3';
import { biosSettingsOf, type BiosSettingRow, type NodeRow } from '@ingot/store';
import { conditionsFor, findCondition, kubeNow, ownedByHost, setCondition } from './conditions.js';
import { canonical } from './host-status.js';
import type { ReconcilerDeps } from './reconcile-context.js';
import { firmwareSchemaOf, isPassword, schemaNameOf, settingProblem } from './setting-schema.js';

// HostFirmwareSettings (baremetal-operator's HostFirmwareSettingsReconciler, run with the host's
// reconcile): status.settings are the BIOS settings Ingot cached from the BMC, status.schema names
// the FirmwareSchema built from their registry, and the conditions say whether spec.settings asks
// for a change (ChangeDetected) that can be made (Valid).

/** A BIOS setting to apply, as the bios interface's apply_configuration takes it. */
export interface SettingChange {
  name: string;
  value: string | number;
}

type HfsStatus = NonNullable<HostFirmwareSettings['status']>;

/** The status a HostFirmwareSettings shows for the node's cached settings (no lastUpdated). */
export function settingsStatusOf(
  hfs: HostFirmwareSettings,
  rows: readonly BiosSettingRow[],
  schemaRef: { namespace: string; name: string },
  schema: Record<string, SettingSchema>,
): HfsStatus {
  const settings = Object.fromEntries(
    rows.filter((row) => !isPassword(row.name)).map((row) => [row.name, row.value ?? '']),
  );
  const wanted = hfs.spec?.settings ?? {};
  const condition = conditionsFor(hfs.metadata?.generation);
  let conditions = hfs.status?.conditions;
  const mismatch = Object.entries(wanted).some(([name, value]) => settings[name] !== String(value));
  if (mismatch) {
    conditions = setCondition(
      conditions,
      condition(FIRMWARE_CONDITIONS.changeDetected, 'True', 'Success'),
    );
    const problems = Object.entries(wanted).flatMap(([name, value]) => {
      if (isPassword(name)) return ['cannot set Password field'];
      if (!(name in settings)) return [`setting ${name} is not in the Status field`];
      const problem = settingProblem(name, value, schema[name]);
      return problem ? [problem] : [];
    });
    conditions = setCondition(
      conditions,
      problems.length === 0
        ? condition(FIRMWARE_CONDITIONS.valid, 'True', 'Success')
        : condition(
            FIRMWARE_CONDITIONS.valid,
            'False',
            'ConfigurationError',
            `Invalid BIOS setting: ${problems.join('; ')}`,
          ),
    );
  } else {
    conditions = setCondition(conditions, condition(FIRMWARE_CONDITIONS.valid, 'True', 'Success'));
    conditions = setCondition(
      conditions,
      condition(FIRMWARE_CONDITIONS.changeDetected, 'False', 'Success'),
    );
  }
  return { schema: schemaRef, settings, conditions };
}

/**
 * The settings to apply (baremetal-operator's getHostFirmwareSettings + getNewFirmwareSettings):
 * none unless a change is detected for the object's current generation and is valid; then every
 * desired value the status does not show yet.
 */
export function settingChangesOf(hfs: HostFirmwareSettings | undefined): SettingChange[] {
  const status = hfs?.status;
  if (!hfs || !status) return [];
  const changed = findCondition(status.conditions, FIRMWARE_CONDITIONS.changeDetected);
  const valid = findCondition(status.conditions, FIRMWARE_CONDITIONS.valid);
  if (changed?.status !== 'True' || valid?.status !== 'True') return [];
  if (changed.observedGeneration !== hfs.metadata?.generation) return [];
  if (Object.keys(status.settings).length === 0) return [];
  return Object.entries(hfs.spec?.settings ?? {})
    .filter(([name, value]) => status.settings[name] !== String(value))
    .map(([name, value]) => ({ name, value }));
}

/**
 * Makes the host's HostFirmwareSettings exist (created empty, owned by the host, as Metal3 does at
 * registration), its FirmwareSchema exist, and its status match the node's cached BIOS settings.
 * Returns the object as written.
 */
export async function syncFirmwareSettings(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  node: NodeRow,
): Promise<HostFirmwareSettings> {
  const key = { namespace: host.metadata!.namespace!, name: host.metadata!.name! };
  let hfs = await deps.kube.getObject<HostFirmwareSettings>(HOSTFIRMWARESETTINGS_PLURAL, key);
  if (!hfs) {
    hfs = await deps.kube.createObject<HostFirmwareSettings>(HOSTFIRMWARESETTINGS_PLURAL, {
      apiVersion: METAL3_API_VERSION,
      kind: HOSTFIRMWARESETTINGS_KIND,
      metadata: { ...key, ownerReferences: [ownedByHost(host)] },
      spec: { settings: {} },
    });
  } else if (!hfs.metadata?.ownerReferences?.some((o) => o.uid === host.metadata!.uid)) {
    // Created by someone else before the host was registered: the host owns it from now on.
    hfs = await deps.kube.replaceObject(HOSTFIRMWARESETTINGS_PLURAL, {
      ...hfs,
      metadata: {
        ...hfs.metadata,
        ownerReferences: [...(hfs.metadata?.ownerReferences ?? []), ownedByHost(host)],
      },
    });
  }
  const rows = await biosSettingsOf(deps.commands.db, node.uuid);
  const schema = firmwareSchemaOf(rows);
  const schemaRef = await ensureFirmwareSchema(deps, host, hfs, schema);
  const status = settingsStatusOf(hfs, rows, schemaRef, schema);
  if (canonical({ ...hfs.status, lastUpdated: undefined }) === canonical(status)) return hfs;
  return deps.kube.replaceObjectStatus(HOSTFIRMWARESETTINGS_PLURAL, {
    ...hfs,
    status: { ...status, lastUpdated: kubeNow() },
  });
}

/**
 * The FirmwareSchema of these settings (shared by every host with the same registry, each of their
 * HostFirmwareSettings among its owners), created when missing.
 */
async function ensureFirmwareSchema(
  deps: ReconcilerDeps,
  host: BareMetalHost,
  hfs: HostFirmwareSettings,
  schema: Record<string, SettingSchema>,
): Promise<{ namespace: string; name: string }> {
  const ref = { namespace: hfs.metadata!.namespace!, name: schemaNameOf(schema) };
  const owner = {
    apiVersion: METAL3_API_VERSION,
    kind: HOSTFIRMWARESETTINGS_KIND,
    name: hfs.metadata!.name!,
    uid: hfs.metadata!.uid!,
  };
  const existing = await deps.kube.getObject<FirmwareSchema>(FIRMWARESCHEMA_PLURAL, ref);
  if (!existing) {
    const vendor = host.status?.hardware?.systemVendor;
    await deps.kube.createObject<FirmwareSchema>(FIRMWARESCHEMA_PLURAL, {
      apiVersion: METAL3_API_VERSION,
      kind: FIRMWARESCHEMA_KIND,
      metadata: { ...ref, ownerReferences: [owner] },
      spec: {
        ...(vendor?.manufacturer ? { hardwareVendor: vendor.manufacturer } : {}),
        ...(vendor?.productName ? { hardwareModel: vendor.productName } : {}),
        schema,
      },
    });
  } else if (!existing.metadata?.ownerReferences?.some((o) => o.uid === owner.uid)) {
    await deps.kube.replaceObject(FIRMWARESCHEMA_PLURAL, {
      ...existing,
      metadata: {
        ...existing.metadata,
        ownerReferences: [...(existing.metadata?.ownerReferences ?? []), owner],
      },
    });
  }
  return ref;
}
