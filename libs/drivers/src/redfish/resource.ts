/** Reading Redfish JSON without trusting its shape: every accessor tolerates missing fields. */

export type Resource = Record<string, unknown>;

export const asResource = (value: unknown): Resource =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Resource) : {};

/** The `@odata.id` of a link object, e.g. `{ "@odata.id": "/redfish/v1/Systems" }`. */
export function linkOf(value: unknown): string | undefined {
  const id = asResource(value)['@odata.id'];
  return typeof id === 'string' && id !== '' ? id.replace(/\/+$/, '') : undefined;
}

export function linksOf(value: unknown): string[] {
  return Array.isArray(value) ? value.flatMap((v) => linkOf(v) ?? []) : [];
}

export const membersOf = (collection: Resource): string[] => linksOf(collection.Members);

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function stringsOf(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}
