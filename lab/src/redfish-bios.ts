import {
  BIOS_ATTRIBUTES,
  BIOS_REGISTRY_ID,
  refusal,
  type BiosRefusal,
  type BiosSettings,
  type BiosValue,
} from './bios-settings.js';
import type { Reply, Route } from './http-routing.js';
import { ROOT, systemPath, type ResourceIds } from './redfish-resources.js';
import type { OnSystem } from './redfish-routes.js';

type Json = Record<string, unknown>;

const link = (path: string) => ({ '@odata.id': path });
export const biosPath = (ids: ResourceIds) => `${systemPath(ids)}/Bios`;
const REGISTRIES = `${ROOT}/Registries`;
const registryFile = `${REGISTRIES}/${BIOS_REGISTRY_ID}`;
const registryUri = `${registryFile}/BiosAttributeRegistry.json`;

/** The Bios resource: current attributes, where to stage changes, and the reset action. */
export const bios = (ids: ResourceIds, settings: BiosSettings): Json => ({
  '@odata.type': '#Bios.v1_2_0.Bios',
  '@odata.id': biosPath(ids),
  Id: 'Bios',
  Name: 'BIOS Configuration Current Settings',
  AttributeRegistry: BIOS_REGISTRY_ID,
  Attributes: { ...settings.current },
  ResetBiosToDefaultsPending: settings.resetPending,
  '@Redfish.Settings': {
    '@odata.type': '#Settings.v1_3_0.Settings',
    SettingsObject: link(`${biosPath(ids)}/Settings`),
    // Like iDRAC: BIOS changes are staged and take effect when the server next boots.
    SupportedApplyTimes: ['OnReset'],
  },
  Actions: {
    '#Bios.ResetBios': { target: `${biosPath(ids)}/Actions/Bios.ResetBios` },
  },
});

/** The Settings resource (the "future" state): the attributes staged for the next boot. */
export const biosSettings = (ids: ResourceIds, settings: BiosSettings): Json => ({
  '@odata.type': '#Bios.v1_2_0.Bios',
  '@odata.id': `${biosPath(ids)}/Settings`,
  Id: 'Settings',
  Name: 'BIOS Configuration Pending Settings',
  AttributeRegistry: BIOS_REGISTRY_ID,
  Attributes: { ...settings.pending },
});

const registriesCollection = (): Json => ({
  '@odata.type': '#MessageRegistryFileCollection.MessageRegistryFileCollection',
  '@odata.id': REGISTRIES,
  Name: 'Registry File Collection',
  'Members@odata.count': 1,
  Members: [link(registryFile)],
});

const registryFileResource = (): Json => ({
  '@odata.type': '#MessageRegistryFile.v1_1_0.MessageRegistryFile',
  '@odata.id': registryFile,
  Id: BIOS_REGISTRY_ID,
  Name: 'BIOS Attribute Registry File',
  Registry: BIOS_REGISTRY_ID,
  Languages: ['en'],
  Location: [{ Language: 'en', Uri: registryUri }],
});

const attributeRegistry = (): Json => ({
  '@odata.type': '#AttributeRegistry.v1_3_0.AttributeRegistry',
  Id: BIOS_REGISTRY_ID,
  Name: 'Ingot lab BIOS Attribute Registry',
  Language: 'en',
  OwningEntity: 'Ingot lab',
  RegistryVersion: '1.0.0',
  SupportedSystems: [{ ProductName: 'Ingot lab server', SystemId: 'LAB' }],
  RegistryEntries: { Attributes: BIOS_ATTRIBUTES.map((entry) => ({ ...entry })) },
});

/** Registry routes of the service root: the collection, the file, and the registry itself. */
export function registryRoutes(): Route[] {
  return [
    { method: 'GET', path: REGISTRIES, handle: () => ok(registriesCollection()) },
    { method: 'GET', path: registryFile, handle: () => ok(registryFileResource()) },
    { method: 'GET', path: registryUri, handle: () => ok(attributeRegistry()) },
  ];
}

/** GET of Bios and its Settings, PATCH of Settings, and Bios.ResetBios. */
export function biosRoutes(system: string, on: OnSystem): Route[] {
  const path = `${system}/Bios`;
  const onBios = (act: (settings: BiosSettings, ids: ResourceIds, body: unknown) => Reply) =>
    on((t, req) =>
      t.bios ? act(t.bios, t.ids, req.body) : fail(404, 'ResourceMissingAtURI', missing(req.path)),
    );
  return [
    { method: 'GET', path, handle: onBios((settings, ids) => ok(bios(ids, settings))) },
    {
      method: 'GET',
      path: `${path}/Settings`,
      handle: onBios((settings, ids) => ok(biosSettings(ids, settings))),
    },
    { method: 'PATCH', path: `${path}/Settings`, handle: onBios(stageChanges) },
    {
      method: 'POST',
      path: `${path}/Actions/Bios.ResetBios`,
      handle: onBios((settings) => {
        settings.stageReset();
        return { status: 204 };
      }),
    },
  ];
}

function stageChanges(settings: BiosSettings, _ids: ResourceIds, body: unknown): Reply {
  const request = record(body);
  const applyTime = record(request['@Redfish.SettingsApplyTime']).ApplyTime;
  if (applyTime !== undefined && applyTime !== 'OnReset') {
    return fail(
      400,
      'PropertyValueNotInList',
      `The value ${JSON.stringify(applyTime)} for ApplyTime is not supported; BIOS settings apply OnReset.`,
    );
  }
  const attributes = request.Attributes;
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    return fail(400, 'PropertyMissing', 'The request body has no Attributes object to change.');
  }
  const refusals = Object.entries(attributes).flatMap(
    ([name, value]) => refusal(name, value) ?? [],
  );
  if (refusals.length > 0) return refused(refusals);
  settings.stage(attributes as Record<string, BiosValue>);
  return { status: 204 };
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const missing = (path: string) => `The resource at the URI ${path} was not found.`;
const record = (value: unknown): Json =>
  typeof value === 'object' && value !== null ? (value as Json) : {};

function fail(status: number, messageId: string, message: string): Reply {
  return refused([{ messageId, message }], status);
}

/** A Redfish error whose extended info lists every refused attribute. */
function refused(refusals: BiosRefusal[], status = 400): Reply {
  const [first] = refusals;
  return {
    status,
    body: {
      error: {
        code: `Base.1.8.${first?.messageId ?? 'GeneralError'}`,
        message: first?.message ?? 'The request was refused.',
        '@Message.ExtendedInfo': refusals.map((r) => ({
          '@odata.type': '#Message.v1_0_0.Message',
          MessageId: `Base.1.8.${r.messageId}`,
          Message: r.message,
          Severity: 'Warning',
        })),
      },
    },
  };
}
