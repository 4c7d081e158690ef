import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './string-enum.js';

/** Hardware types Ingot ships. `fake-hardware` is Ironic's name for the fake type. */
export const DRIVERS = ['redfish', 'ipmi', 'fake-hardware'] as const;
export type DriverName = (typeof DRIVERS)[number];
export const DriverNameSchema = StringEnum(DRIVERS);

/** Ironic accepts booleans as strings in driver_info ("True", "false"); so do we. */
const BooleanLike = Type.Union([
  Type.Boolean(),
  Type.String({ pattern: '^([Tt]rue|TRUE|[Ff]alse|FALSE|[Yy]es|[Nn]o|[Oo]n|[Oo]ff|0|1)$' }),
]);

/**
 * Ironic's kernel_append_params: extra kernel parameters of the agent ramdisk, put on the iPXE
 * kernel line and into the boot ISO's agent.json (kernel_params), which the agent parses like
 * /proc/cmdline. Characters an iPXE command line would interpret are refused.
 */
const KernelAppendParams = Type.String({
  maxLength: 2048,
  pattern: '^[^$\'"`;|&#\\\\\\u0000-\\u001f\\u007f]*$',
  description:
    'Extra kernel parameters of the agent ramdisk (Ironic kernel_append_params), e.g. "ipa-advertise-host=127.0.0.1 nomodeset"; no $ \' " ` ; | & # \\ or control characters',
});

/** driver_info of the redfish hardware type (ironic/drivers/modules/redfish/utils.py). */
export const RedfishDriverInfoSchema = Type.Object(
  {
    redfish_address: Type.String({
      minLength: 1,
      description:
        'BMC URL, e.g. https://10.0.0.5 or http://127.0.0.1:8000; scheme defaults to https',
    }),
    redfish_system_id: Type.Optional(
      Type.String({
        description:
          'Path of the ComputerSystem, e.g. /redfish/v1/Systems/1; discovered when absent',
      }),
    ),
    redfish_username: Type.Optional(Type.String()),
    redfish_password: Type.Optional(Type.String()),
    redfish_verify_ca: Type.Optional(
      Type.Union([BooleanLike, Type.String({ description: 'path of a CA bundle' })], {
        description:
          'TLS certificate verification: on by default; false turns it off for this node',
      }),
    ),
    redfish_auth_type: Type.Optional(StringEnum(['basic', 'session', 'auto'])),
    redfish_timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    kernel_append_params: Type.Optional(KernelAppendParams),
  },
  { additionalProperties: true },
);
export type RedfishDriverInfo = Static<typeof RedfishDriverInfoSchema>;

/** A whole number, as a JSON number or as digits in a string (Ironic takes both). */
const IntegerLike = (min: number, max: number) =>
  Type.Union([
    Type.Integer({ minimum: min, maximum: max }),
    Type.String({ pattern: '^[0-9]{1,6}$' }),
  ]);

/** driver_info of the ipmi hardware type (ironic/drivers/modules/ipmitool.py), IPMI 2.0 only. */
export const IpmiDriverInfoSchema = Type.Object(
  {
    ipmi_address: Type.String({ minLength: 1, description: 'BMC host name or IP address' }),
    ipmi_port: Type.Optional(IntegerLike(1, 65535)),
    ipmi_username: Type.Optional(Type.String()),
    /** IPMI 2.0 carries at most 20 bytes of password. */
    ipmi_password: Type.Optional(Type.String({ maxLength: 20 })),
    ipmi_priv_level: Type.Optional(StringEnum(['ADMINISTRATOR', 'OPERATOR', 'USER', 'CALLBACK'])),
    ipmi_cipher_suite: Type.Optional(IntegerLike(0, 17)),
    ipmi_protocol_version: Type.Optional(StringEnum(['2.0'])),
    ipmi_timeout_ms: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 600_000 })),
    kernel_append_params: Type.Optional(KernelAppendParams),
  },
  { additionalProperties: true },
);
export type IpmiDriverInfo = Static<typeof IpmiDriverInfoSchema>;

export const FakeDriverInfoSchema = Type.Object({}, { additionalProperties: true });

/** Keys of driver_info that are secrets: encrypted at rest, never returned, never logged. */
export const SECRET_DRIVER_INFO_KEYS = [
  'redfish_password',
  'ipmi_password',
  'snmp_auth_key',
  'snmp_priv_key',
] as const;

export const isSecretDriverInfoKey = (key: string): boolean =>
  (SECRET_DRIVER_INFO_KEYS as readonly string[]).includes(key) ||
  /password|secret|_key$/i.test(key);

/** Ironic masks secrets as six stars in API responses. */
export const MASKED_SECRET = '******';

export function maskDriverInfo(info: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(info).map(([k, v]) => [
      k,
      isSecretDriverInfoKey(k) && v != null ? MASKED_SECRET : v,
    ]),
  );
}

/** The driver_info schema of each hardware type, for the API's checks and the drivers. */
export const DRIVER_INFO_SCHEMAS = {
  redfish: RedfishDriverInfoSchema,
  ipmi: IpmiDriverInfoSchema,
  'fake-hardware': FakeDriverInfoSchema,
} as const;

/** The driver_info key a BMC is addressed by, which must be present before any BMC action. */
export const DRIVER_ADDRESS_KEYS: Partial<Record<DriverName, string>> = {
  redfish: 'redfish_address',
  ipmi: 'ipmi_address',
};
