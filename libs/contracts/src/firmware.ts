import { Type, type Static } from '@sinclair/typebox';

/** One firmware component as the BMC reports it: bios, bmc, nic:<id> (Ironic's firmware API). */
export const FirmwareComponentSchema = Type.Object({
  component: Type.String({ minLength: 1 }),
  current_version: Type.String(),
  /** Whether the BMC says the component can be updated (FirmwareInventory Updateable). */
  updateable: Type.Boolean(),
});
export type FirmwareComponent = Static<typeof FirmwareComponentSchema>;

/**
 * One entry of the firmware update step's `settings` (Ironic's _FIRMWARE_INTERFACE_UPDATE_SCHEMA):
 * the component (bios, bmc or nic:<id>), the URL the BMC downloads the image from, and seconds to
 * wait once it is in place before the next component.
 */
export const FirmwareUpdateSettingSchema = Type.Object(
  {
    component: Type.Union([
      Type.Literal('bios'),
      Type.Literal('bmc'),
      Type.String({ pattern: '^nic:.+' }),
    ]),
    url: Type.String({ minLength: 1 }),
    wait: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type FirmwareUpdateSetting = Static<typeof FirmwareUpdateSettingSchema>;

/** The update step's `settings` argument: the components to update, in order. */
export const FirmwareUpdateSettingsSchema = Type.Array(FirmwareUpdateSettingSchema, {
  minItems: 1,
});

/**
 * A firmware update the BMC accepted, as the power worker answers it: opaque to the conductor,
 * which keeps it (plain JSON, so a conductor taking the node over can go on) and hands it back
 * with bmc.firmware_task.
 */
export const FirmwareTaskHandleSchema = Type.Record(Type.String(), Type.Unknown());
export type FirmwareTaskHandle = Static<typeof FirmwareTaskHandleSchema>;

/** Where a BMC's firmware update task is, its last message, and whether a reboot must follow. */
export const FirmwareTaskStatusSchema = Type.Object({
  state: Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
  /** The BMC's words: why it failed, or what is left to do. */
  message: Type.Union([Type.String(), Type.Null()]),
  /** The new firmware runs only after the server reboots (BIOS, NIC firmware). */
  reboot_required: Type.Boolean(),
  percent: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
});
export type FirmwareTaskStatus = Static<typeof FirmwareTaskStatusSchema>;
