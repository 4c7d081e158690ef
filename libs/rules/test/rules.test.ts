import { describe, expect, it } from 'vitest';
import { applyRules, validateRule, type RulesInput } from '../src/index.js';
import {
  continueInspectionBody,
  ipaInventory,
} from '../../inventory/test/fixtures/ipa-inventory.js';

function input(): RulesInput {
  const { inventory, ...pluginData } = continueInspectionBody();
  return {
    node: {
      uuid: '1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
      name: 'r750-01',
      driver: 'redfish',
      properties: { cpus: 112, capabilities: 'boot_mode:uefi' },
      extra: { rack: 'b12' },
      driver_info: {
        redfish_address: 'https://10.10.0.15',
        redfish_username: 'root',
        redfish_password: 'n0de-s3cret',
      },
      traits: ['CUSTOM_OLD'],
    },
    inventory,
    pluginData: { ...pluginData, auto_discovered: true, bmc_password: 'calvin' },
  };
}

const log = (msg: string) => ({ op: 'log', args: { msg } });

/** Whether a single condition holds on the fixture. */
function holds(condition: Record<string, unknown>): boolean {
  const outcome = applyRules([{ conditions: [condition], actions: [log('hit')] }], input());
  if (outcome.failed) throw new Error(outcome.failed);
  return outcome.applied.length === 1;
}

describe('validateRule', () => {
  const OPERATORS =
    'eq, ne, lt, le, gt, ge, is-empty, is-none, is-true, is-false, one-of, matches, contains, in-net';
  const ACTIONS =
    'fail, log, set-attribute, extend-attribute, del-attribute, add-trait, remove-trait, set-capability, unset-capability, set-plugin-data, extend-plugin-data, unset-plugin-data';

  it('fills in the defaults', () => {
    expect(validateRule({ actions: [log('x')] })).toEqual({
      ok: true,
      rule: {
        actions: [log('x')],
        description: null,
        priority: 0,
        sensitive: false,
        phase: 'main',
        conditions: [],
      },
    });
  });

  it.each<[string, unknown, string]>([
    [
      'an unknown operator',
      {
        description: 'Dell BMC',
        conditions: [{ op: 'equals', args: { values: [1, 1] } }],
        actions: [log('x')],
      },
      `Inspection rule 'Dell BMC' is invalid: condition 1: unknown operator 'equals' (operators: ${OPERATORS})`,
    ],
    [
      'an unknown inverted operator',
      { uuid: 'r1', conditions: [{ op: '!like', args: {} }], actions: [log('x')] },
      `Inspection rule r1 is invalid: condition 1: unknown operator 'like' (operators: ${OPERATORS})`,
    ],
    [
      'an unknown action',
      {
        uuid: '5f1c2d4e-0000-4000-8000-000000000001',
        actions: [{ op: 'api-call', args: { url: 'http://x' } }],
      },
      `Inspection rule 5f1c2d4e-0000-4000-8000-000000000001 is invalid: action 1: unknown action 'api-call' (actions: ${ACTIONS})`,
    ],
    [
      'two exclamation marks',
      { conditions: [{ op: '!!eq', args: { values: [] } }], actions: [log('x')] },
      "Inspection rule (unnamed) is invalid: condition 1: operator '!!eq' has more than one '!'",
    ],
    [
      'wrong arguments',
      {
        description: 'd',
        conditions: [{ op: 'eq', args: { value: 1 } }],
        actions: [{ op: 'set-attribute', args: { path: '/extra/x' } }],
      },
      "Inspection rule 'd' is invalid: condition 1: eq missing argument(s) values and unexpected argument(s) value; action 1: set-attribute missing argument(s) value",
    ],
    [
      'too many list arguments',
      { conditions: [{ op: 'is-none', args: [1, 2] }], actions: [log('x')] },
      'Inspection rule (unnamed) is invalid: condition 1: is-none takes at most 1 arguments (value)',
    ],
    [
      'no actions',
      { description: 'empty', actions: [] },
      "Inspection rule 'empty' is invalid: rule.actions must list at least 1 entry",
    ],
    [
      'a bad priority, phase and loop mode',
      {
        priority: -1,
        phase: 'early',
        conditions: [{ op: 'eq', args: { values: [] }, multiple: 'some' }],
        actions: [log('x')],
      },
      'Inspection rule (unnamed) is invalid: rule.priority must be an integer >= 0 <= 9999; rule.phase must be one of main; rule.conditions[0].multiple must be one of any, all, first, last',
    ],
    [
      "Ironic's unsupported scope field",
      { scope: 'rack-b', actions: [log('x')] },
      'Inspection rule (unnamed) is invalid: rule.scope is not allowed here',
    ],
    [
      'a path rules may not change',
      { actions: [{ op: 'set-attribute', args: { path: '/provision_state', value: 'active' } }] },
      "Inspection rule (unnamed) is invalid: action 1: set-attribute: '/provision_state' is not a node attribute rules may change (properties, extra, driver_info, instance_info, driver, name, description, resource_class, owner, lessee)",
    ],
    [
      'a path inside a single value',
      { actions: [{ op: 'set-attribute', args: { path: 'driver.name', value: 'x' } }] },
      "Inspection rule (unnamed) is invalid: action 1: set-attribute: '/driver/name' goes inside driver, which holds a single value",
    ],
    [
      'deleting a whole field',
      { actions: [{ op: 'del-attribute', args: { path: '/extra' } }] },
      "Inspection rule (unnamed) is invalid: action 1: del-attribute: '/extra' cannot be deleted",
    ],
    [
      'a bad log level and trait',
      {
        actions: [
          { op: 'log', args: { msg: 'x', level: 'loud' } },
          { op: 'add-trait', args: { name: 'custom-gpu' } },
        ],
      },
      "Inspection rule (unnamed) is invalid: action 1: log: invalid log level (debug, info, warning, error, critical): 'loud'; action 2: add-trait: invalid trait (use A-Z, 0-9 and _): 'custom-gpu'",
    ],
    [
      'a bad subnet and a values that is not a list',
      {
        conditions: [
          { op: 'in-net', args: { address: '{inventory[bmc_address]}', subnet: '10.0.0.0/33' } },
          { op: 'lt', args: { values: 'abc' } },
        ],
        actions: [log('x')],
      },
      "Inspection rule (unnamed) is invalid: condition 1: in-net: invalid subnet: '10.0.0.0/33'; condition 2: lt: 'values' must be a list",
    ],
  ])('refuses %s', (_case, rule, message) => {
    expect(validateRule(rule)).toEqual({ ok: false, message });
  });

  it('refuses a regular expression that does not compile', () => {
    const result = validateRule({
      conditions: [{ op: 'matches', args: { value: 'x', regex: '(' } }],
      actions: [log('x')],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toMatch(
        /^Inspection rule \(unnamed\) is invalid: condition 1: matches: invalid regular expression: '\(': /,
      );
    }
  });

  it("keeps a sensitive rule's values out of the message, naming each problem still", () => {
    const result = validateRule({
      description: 'credentials',
      sensitive: true,
      conditions: [
        { op: 'matches', args: { value: 'x', regex: '(s3cret' } },
        { op: 'in-net', args: { address: 'x', subnet: 's3cret/33' } },
      ],
      actions: [
        { op: 'add-trait', args: { name: 's3cret' } },
        { op: 'log', args: { msg: 'x', level: 's3cret' } },
      ],
    });
    expect(result).toEqual({
      ok: false,
      message:
        "Inspection rule 'credentials' is invalid: condition 1: matches: invalid regular expression; condition 2: in-net: invalid subnet; action 1: add-trait: invalid trait (use A-Z, 0-9 and _); action 2: log: invalid log level (debug, info, warning, error, critical)",
    });
  });

  it('leaves what refers to inspected data to run time', () => {
    expect(
      validateRule({
        conditions: [{ op: 'contains', args: { value: 'x', regex: '{plugin_data[pattern]}' } }],
        actions: [
          {
            op: 'set-attribute',
            args: { path: '{item[path]}', value: 1 },
            loop: [{ path: '/extra/a' }],
          },
        ],
      }).ok,
    ).toBe(true);
  });

  it("accepts arguments as a list (Ironic's deprecated form)", () => {
    expect(
      validateRule({
        conditions: [{ op: 'eq', args: [[1, 1]] }],
        actions: [{ op: 'log', args: ['hi', 'debug'] }],
      }).ok,
    ).toBe(true);
    expect(holds({ op: 'eq', args: [['{inventory[cpu][count]}', 112]] })).toBe(true);
  });

  it('makes applyRules fail without running anything when a rule is invalid', () => {
    const outcome = applyRules(
      [
        { actions: [{ op: 'set-attribute', args: { path: '/extra/x', value: 1 } }] },
        { description: 'bad', conditions: [{ op: 'equals', args: {} }], actions: [log('x')] },
      ],
      input(),
    );
    expect(outcome.failed).toMatch(
      /^Inspection rule 'bad' \(#2\) is invalid: condition 1: unknown operator 'equals'/,
    );
    expect(outcome.patch).toEqual([]);
    expect(outcome.applied).toEqual([]);
  });
});

describe('conditions', () => {
  it.each<[string, Record<string, unknown>, boolean]>([
    // numbers from references keep their type, and compare with numbers or numeric text
    ['eq number', { op: 'eq', args: { values: ['{inventory[cpu][count]}', 112] } }, true],
    ['eq numeric text', { op: 'eq', args: { values: ['{inventory[cpu][count]}', '112'] } }, true],
    ['eq text', { op: 'eq', args: { values: ['{inventory[cpu][architecture]}', 'x86_64'] } }, true],
    ['eq three values', { op: 'eq', args: { values: [1, '1', 1.0] } }, true],
    ['eq text is exact', { op: 'eq', args: { values: ['4', '4.0'] } }, false],
    ['eq forced strings', { op: 'eq', args: { values: [4, '4.0'], force_strings: true } }, false],
    [
      'eq objects in any key order',
      {
        op: 'eq',
        args: {
          values: [
            { a: 1, b: 2 },
            { b: 2, a: 1 },
          ],
        },
      },
      true,
    ],
    ['ne', { op: 'ne', args: { values: ['{node.driver}', 'ipmi'] } }, true],
    ['lt', { op: 'lt', args: { values: ['{inventory[memory][physical_mb]}', 65536] } }, false],
    ['gt', { op: 'gt', args: { values: ['{inventory[memory][physical_mb]}', 65536] } }, true],
    ['ge at the bound', { op: 'ge', args: { values: ['{inventory[cpu][count]}', 112] } }, true],
    ['le chained', { op: 'le', args: { values: [1, 2, 2, 3] } }, true],
    ['lt chained out of order', { op: 'lt', args: { values: [1, 3, 2] } }, false],
    ['lt on text compares text', { op: 'lt', args: { values: ['10', '9'] } }, true],
    [
      'is-empty on a missing field',
      { op: 'is-empty', args: { value: '{inventory[nothing]}' } },
      true,
    ],
    [
      'is-empty on an empty list',
      { op: 'is-empty', args: { value: '{inventory[interfaces][2][lldp]}' } },
      true,
    ],
    ['is-empty on data', { op: 'is-empty', args: { value: '{inventory[bmc_address]}' } }, false],
    [
      'is-none on null',
      { op: 'is-none', args: { value: '{inventory[interfaces][1][ipv4_address]}' } },
      true,
    ],
    ['is-none on "None"', { op: 'is-none', args: { value: 'None' } }, true],
    [
      'is-true on a boolean',
      { op: 'is-true', args: { value: '{plugin_data[auto_discovered]}' } },
      true,
    ],
    ['is-true on "yes"', { op: 'is-true', args: { value: 'Yes' } }, true],
    ['is-true on text', { op: 'is-true', args: { value: 'maybe' } }, false],
    [
      'is-false on false',
      { op: 'is-false', args: { value: '{inventory[disks][0][rotational]}' } },
      true,
    ],
    [
      'is-false on a missing field',
      { op: 'is-false', args: { value: '{inventory[nothing]}' } },
      true,
    ],
    ['is-false on 0', { op: 'is-false', args: { value: 0 } }, true],
    [
      'one-of',
      {
        op: 'one-of',
        args: { value: '{inventory[cpu][architecture]}', values: ['aarch64', 'x86_64'] },
      },
      true,
    ],
    [
      'one-of numbers',
      { op: 'one-of', args: { value: '{inventory[cpu][socket_count]}', values: ['1', '2'] } },
      true,
    ],
    [
      'contains with (?i)',
      {
        op: 'contains',
        args: { value: '{inventory[system_vendor][manufacturer]}', regex: '(?i)dell' },
      },
      true,
    ],
    [
      'contains is case-sensitive otherwise',
      {
        op: 'contains',
        args: { value: '{inventory[system_vendor][manufacturer]}', regex: 'dell' },
      },
      false,
    ],
    [
      'matches the whole value',
      {
        op: 'matches',
        args: { value: '{inventory[system_vendor][product_name]}', regex: 'PowerEdge R\\d+' },
      },
      false,
    ],
    [
      'matches with a tail',
      {
        op: 'matches',
        args: { value: '{inventory[system_vendor][product_name]}', regex: 'PowerEdge R\\d+ .*' },
      },
      true,
    ],
    [
      'matches a Python named group',
      { op: 'matches', args: { value: 'r750-r750', regex: '(?P<m>r\\d+)-(?P=m)' } },
      true,
    ],
    [
      'in-net',
      { op: 'in-net', args: { address: '{inventory[bmc_address]}', subnet: '10.10.0.0/16' } },
      true,
    ],
    [
      'in-net elsewhere',
      { op: 'in-net', args: { address: '{inventory[bmc_address]}', subnet: '10.20.0.0/16' } },
      false,
    ],
    [
      'in-net IPv6 with a scope',
      {
        op: 'in-net',
        args: { address: '{inventory[interfaces][0][ipv6_address]}', subnet: 'fe80::/10' },
      },
      true,
    ],
    [
      'in-net without an address',
      {
        op: 'in-net',
        args: { address: '{inventory[interfaces][1][ipv4_address]}', subnet: '10.0.0.0/8' },
      },
      false,
    ],
  ])('%s', (_case, condition, expected) => {
    expect(holds(condition)).toBe(expected);
  });

  it.each<[string, Record<string, unknown>, boolean]>([
    ['"!" inverts', { op: '!eq', args: { values: ['{node.driver}', 'redfish'] } }, false],
    [
      '"! " with a space inverts',
      { op: '! is-empty', args: { value: '{inventory[bmc_address]}' } },
      true,
    ],
    [
      'invert: true inverts',
      { op: 'eq', invert: true, args: { values: ['{node.driver}', 'ipmi'] } },
      true,
    ],
    [
      'invert: false does not',
      { op: 'eq', invert: false, args: { values: ['{node.driver}', 'ipmi'] } },
      false,
    ],
    [
      '"!" and invert cancel out',
      { op: '!eq', invert: true, args: { values: ['{node.driver}', 'redfish'] } },
      true,
    ],
  ])('%s', (_case, condition, expected) => {
    expect(holds(condition)).toBe(expected);
  });

  it('runs actions only when every condition holds, and says which did not', () => {
    const outcome = applyRules(
      [
        {
          description: 'big Dell',
          conditions: [
            {
              op: 'contains',
              args: { value: '{inventory[system_vendor][manufacturer]}', regex: 'Dell' },
            },
            { op: 'ge', args: { values: ['{inventory[cpu][count]}', 256] } },
          ],
          actions: [{ op: 'set-attribute', args: { path: '/extra/big', value: true } }],
        },
      ],
      input(),
    );
    expect(outcome.patch).toEqual([]);
    expect(outcome.applied).toEqual([]);
    expect(outcome.logs).toEqual(["rule 'big Dell' (#1): skipped, condition 2 (ge) does not hold"]);
  });

  it('runs a rule without conditions always', () => {
    expect(applyRules([{ actions: [log('always')] }], input()).logs).toEqual([
      'rule #1: log: [info] always',
    ]);
  });

  describe('loops', () => {
    const models = [
      'HPE ProLiant DL380 Gen10',
      'PowerEdge R750 (SKU=090E;ModelName=PowerEdge R750)',
      'Cisco UCS',
    ];
    const isModel = (multiple?: string, loop: unknown = models) => ({
      op: 'eq',
      args: { values: ['{inventory[system_vendor][product_name]}', '{item}'] },
      loop,
      ...(multiple ? { multiple } : {}),
    });

    it('combine iterations with any (the default), all, first and last', () => {
      expect(holds(isModel())).toBe(true);
      expect(holds(isModel('any'))).toBe(true);
      expect(holds(isModel('all'))).toBe(false);
      expect(holds(isModel('first'))).toBe(false);
      expect(holds(isModel('last'))).toBe(false);
      expect(holds(isModel('first', [...models].reverse().slice(1)))).toBe(true);
      expect(holds(isModel('last', models.slice(0, 2)))).toBe(true);
    });

    it('loop over a list found in the data', () => {
      const spins = (multiple: string) => ({
        op: 'is-true',
        args: { value: '{item[rotational]}' },
        loop: '{inventory[disks]}',
        multiple,
      });
      expect(holds(spins('any'))).toBe(true);
      expect(holds(spins('all'))).toBe(false);
      expect(
        holds({
          op: 'in-net',
          args: { address: '{item[ipv4_address]}', subnet: '10.20.0.0/24' },
          loop: '{inventory[interfaces]}',
        }),
      ).toBe(true);
    });

    it('invert each iteration', () => {
      expect(holds({ ...isModel('all'), op: '!eq' })).toBe(false);
      expect(holds({ ...isModel('any'), invert: true })).toBe(true);
    });

    it('over nothing: any does not hold, all does', () => {
      expect(holds(isModel('any', []))).toBe(false);
      expect(holds(isModel('all', '{inventory[nothing]}'))).toBe(true);
    });

    it('run an action once per item, with references inside items resolved', () => {
      const outcome = applyRules(
        [
          {
            actions: [
              {
                op: 'set-attribute',
                args: { path: '{item[path]}', value: '{item[value]}' },
                loop: [
                  { path: '/driver_info/redfish_username', value: 'admin' },
                  {
                    path: 'driver_info.redfish_address',
                    value: 'https://{inventory[bmc_address]}',
                  },
                  { path: '/properties/cpu_count', value: '{inventory[cpu][count]}' },
                ],
              },
              {
                op: 'extend-attribute',
                args: { path: '/extra/nics', value: '{item[name]}' },
                loop: '{inventory[interfaces]}',
              },
            ],
          },
        ],
        input(),
      );
      expect(outcome.patch).toEqual([
        { op: 'add', path: '/driver_info/redfish_username', value: 'admin' },
        { op: 'add', path: '/driver_info/redfish_address', value: 'https://10.10.0.15' },
        { op: 'add', path: '/properties/cpu_count', value: 112 },
        { op: 'add', path: '/extra/nics', value: ['eno1'] },
        { op: 'add', path: '/extra/nics', value: ['eno1', 'eno2'] },
        { op: 'add', path: '/extra/nics', value: ['eno1', 'eno2', 'eno3'] },
      ]);
    });

    it('refuse a reference that is not a list', () => {
      const outcome = applyRules(
        [
          {
            uuid: 'r',
            actions: [{ op: 'log', args: { msg: '{item}' }, loop: '{inventory[cpu][count]}' }],
          },
        ],
        input(),
      );
      expect(outcome.failed).toBe(
        'Inspection rule r failed: loop {inventory[cpu][count]} is not a list',
      );
    });
  });
});

describe('interpolation', () => {
  const setExtra = (value: unknown) =>
    applyRules(
      [{ actions: [{ op: 'set-attribute', args: { path: '/extra/x', value } }] }],
      input(),
    );

  it.each<[string, unknown, unknown]>([
    ['a whole reference keeps its type', '{inventory[cpu][count]}', 112],
    [
      'a whole reference to an object',
      '{inventory[system_vendor][firmware]}',
      { vendor: 'Dell Inc.', version: '1.8.2', build_date: '09/14/2022' },
    ],
    ['a list index', '{inventory[interfaces][1][mac_address]}', 'b4:96:91:6a:1c:41'],
    [
      'text around references',
      'https://{inventory[bmc_address]}:443/{node.name}',
      'https://10.10.0.15:443/r750-01',
    ],
    [
      'node attributes with dots and brackets',
      '{node.properties[cpus]} on {node.driver}',
      '112 on redfish',
    ],
    ['dots on dictionaries too', '{inventory.cpu.architecture}', 'x86_64'],
    ['node capabilities as a dictionary', '{node.capabilities[boot_mode]}', 'uefi'],
    ['node traits', '{node.traits}', ['CUSTOM_OLD']],
    ['plugin data', '{plugin_data[boot_interface]}', '01-b4-96-91-6a-1c-40'],
    ['numbers inside text', 'cpus={inventory[cpu][count]}', 'cpus=112'],
    [
      'objects inside text as JSON',
      'fw {inventory[system_vendor][firmware][version]} {inventory[cpu][flags]}',
      'fw 1.8.2 ["fpu","vme","sse4_2","avx512f","vmx"]',
    ],
    ['escaped braces', '{{inventory[bmc_address]}}', '{inventory[bmc_address]}'],
    ['braces that are no reference', 'a{2}b {unknown[x]}', 'a{2}b {unknown[x]}'],
    [
      'nested values',
      { bmc: '{inventory[bmc_address]}', list: ['{inventory[cpu][count]}'] },
      { bmc: '10.10.0.15', list: [112] },
    ],
    ['a missing whole reference is null', '{inventory[nothing][here]}', null],
    [
      'a missing reference in text stays as written',
      'bmc {inventory[bmc]}',
      'bmc {inventory[bmc]}',
    ],
  ])('%s', (_case, value, expected) => {
    const outcome = setExtra(value);
    expect(outcome.failed).toBeUndefined();
    expect(outcome.patch).toEqual([{ op: 'add', path: '/extra/x', value: expected }]);
  });

  it('logs references it could not resolve', () => {
    expect(setExtra('bmc {inventory[bmc]}').logs).toEqual([
      'rule #1: set-attribute: nothing found for {inventory[bmc]}',
      "rule #1: set-attribute /extra/x = 'bmc {inventory[bmc]}'",
    ]);
  });
});

describe('applyRules', () => {
  it('runs higher priority first, equal priorities in their given order', () => {
    const seen = (name: string, priority?: number) => ({
      description: name,
      ...(priority === undefined ? {} : { priority }),
      actions: [{ op: 'extend-attribute', args: { path: '/extra/seen', value: name } }],
    });
    const outcome = applyRules(
      [seen('low', 10), seen('default'), seen('high', 90), seen('low-2', 10)],
      input(),
    );
    expect(outcome.patch.at(-1)).toEqual({
      op: 'add',
      path: '/extra/seen',
      value: ['high', 'low', 'low-2', 'default'],
    });
    expect(outcome.applied).toEqual([
      "'high' (#3)",
      "'low' (#1)",
      "'low-2' (#4)",
      "'default' (#2)",
    ]);
  });

  it('lets later rules see what earlier ones changed', () => {
    const outcome = applyRules(
      [
        {
          description: 'second',
          priority: 1,
          conditions: [{ op: 'eq', args: { values: ['{node.properties[class]}', 'big'] } }],
          actions: [
            {
              op: 'set-attribute',
              args: { path: '/resource_class', value: 'baremetal-{node.properties[class]}' },
            },
          ],
        },
        {
          description: 'first',
          priority: 2,
          conditions: [
            { op: 'ge', args: { values: ['{inventory[memory][physical_mb]}', 131072] } },
          ],
          actions: [{ op: 'set-attribute', args: { path: 'properties.class', value: 'big' } }],
        },
      ],
      input(),
    );
    expect(outcome.patch).toEqual([
      { op: 'add', path: '/properties/class', value: 'big' },
      { op: 'add', path: '/resource_class', value: 'baremetal-big' },
    ]);
    expect(outcome.logs).toEqual([
      "rule 'first' (#2): set-attribute /properties/class = 'big'",
      "rule 'second' (#1): set-attribute /resource_class = 'baremetal-big'",
    ]);
  });

  it("stops at fail with the rule's message, keeping what ran before", () => {
    const outcome = applyRules(
      [
        {
          priority: 50,
          actions: [{ op: 'set-attribute', args: { path: '/extra/checked', value: true } }],
        },
        {
          description: 'need NVMe',
          priority: 40,
          conditions: [
            {
              op: 'is-true',
              args: { value: '{item[rotational]}' },
              loop: '{inventory[disks]}',
              multiple: 'all',
            },
            { op: 'is-empty', invert: true, args: { value: '{inventory[disks]}' } },
          ],
          actions: [log('never')],
        },
        {
          description: 'too few CPUs',
          priority: 30,
          conditions: [{ op: 'lt', args: { values: ['{inventory[cpu][count]}', 128] } }],
          actions: [
            {
              op: 'fail',
              args: { msg: 'Node {node.name} has {inventory[cpu][count]} CPUs, 128 needed' },
            },
            { op: 'set-attribute', args: { path: '/extra/after', value: true } },
          ],
        },
        { priority: 10, actions: [{ op: 'add-trait', args: { name: 'CUSTOM_NEVER' } }] },
      ],
      input(),
    );
    expect(outcome.failed).toBe('Node r750-01 has 112 CPUs, 128 needed');
    expect(outcome.patch).toEqual([{ op: 'add', path: '/extra/checked', value: true }]);
    expect(outcome.traits).toEqual({ add: [], remove: [] });
    expect(outcome.applied).toEqual(['#1', "'too few CPUs' (#3)"]);
    expect(outcome.logs.at(-1)).toBe(
      "rule 'too few CPUs' (#3): fail: Node r750-01 has 112 CPUs, 128 needed",
    );
  });

  it('fails inspection when a rule cannot run on the data', () => {
    const outcome = applyRules(
      [
        {
          description: 'bad path',
          actions: [{ op: 'set-attribute', args: { path: '{plugin_data[target]}', value: 1 } }],
        },
        { actions: [log('not reached')] },
      ],
      { ...input(), pluginData: { target: '/provision_state' } },
    );
    expect(outcome.failed).toBe(
      "Inspection rule 'bad path' (#1) failed: '/provision_state' is not a node attribute rules may change (properties, extra, driver_info, instance_info, driver, name, description, resource_class, owner, lessee)",
    );
    expect(outcome.logs).toEqual([outcome.failed]);
  });

  it('refuses to extend what is not a list, or order what cannot be ordered', () => {
    const extend = applyRules(
      [
        {
          uuid: 'x',
          actions: [{ op: 'extend-attribute', args: { path: '/extra/rack', value: 'c' } }],
        },
      ],
      input(),
    );
    expect(extend.failed).toBe(
      "Inspection rule x failed: '/extra/rack' is not a list and cannot be extended",
    );
    const order = applyRules(
      [
        {
          uuid: 'y',
          conditions: [{ op: 'lt', args: { values: ['{inventory[cpu]}', 1] } }],
          actions: [log('x')],
        },
      ],
      input(),
    );
    expect(order.failed).toMatch(
      /^Inspection rule y failed: values cannot be ordered: \{"model_name"/,
    );
  });

  it('adds and removes traits relative to the node', () => {
    const outcome = applyRules(
      [
        {
          actions: [
            { op: 'add-trait', args: { name: 'CUSTOM_GPU' } },
            { op: 'add-trait', args: { name: 'CUSTOM_NVME' } },
            { op: 'remove-trait', args: { name: 'CUSTOM_OLD' } },
            { op: 'remove-trait', args: { name: 'CUSTOM_ABSENT' } },
            { op: 'remove-trait', args: { name: 'CUSTOM_NVME' } },
          ],
        },
      ],
      input(),
    );
    expect(outcome.failed).toBeUndefined();
    expect(outcome.traits).toEqual({ add: ['CUSTOM_GPU'], remove: ['CUSTOM_OLD'] });
    expect(outcome.patch).toEqual([]);
    expect(outcome.logs).toContain('rule #1: remove-trait: the node has no such trait');
  });

  it('refuses a trait that data made invalid', () => {
    const outcome = applyRules(
      [
        {
          uuid: 't',
          actions: [{ op: 'add-trait', args: { name: 'CUSTOM_{inventory[cpu][architecture]}' } }],
        },
      ],
      input(),
    );
    expect(outcome.failed).toBe(
      "Inspection rule t failed: a trait is upper case letters, digits and _ (e.g. CUSTOM_GPU): 'CUSTOM_x86_64'",
    );
  });

  it('sets and unsets capabilities in the form the node keeps them', () => {
    const actions = [
      { op: 'set-capability', args: { name: 'cpu_vt', value: '{inventory[cpu][flags][4]}' } },
      { op: 'set-capability', args: { name: 'sockets', value: '{inventory[cpu][socket_count]}' } },
      { op: 'unset-capability', args: { name: 'boot_mode' } },
    ];
    expect(applyRules([{ actions }], input()).patch).toEqual([
      { op: 'add', path: '/properties/capabilities', value: 'boot_mode:uefi,cpu_vt:vmx' },
      { op: 'add', path: '/properties/capabilities', value: 'boot_mode:uefi,cpu_vt:vmx,sockets:2' },
      { op: 'add', path: '/properties/capabilities', value: 'cpu_vt:vmx,sockets:2' },
    ]);
    const asObject = input();
    asObject.node.properties = { capabilities: { boot_mode: 'bios' } };
    expect(applyRules([{ actions: actions.slice(1) }], asObject).patch).toEqual([
      { op: 'add', path: '/properties/capabilities', value: { boot_mode: 'bios', sockets: '2' } },
      { op: 'add', path: '/properties/capabilities', value: { sockets: '2' } },
    ]);
  });

  it('deletes attributes, quietly when they are not there', () => {
    const outcome = applyRules(
      [
        {
          actions: [
            { op: 'del-attribute', args: { path: '/extra/rack' } },
            { op: 'del-attribute', args: { path: 'extra.nothing.here' } },
          ],
        },
      ],
      input(),
    );
    expect(outcome.patch).toEqual([{ op: 'remove', path: '/extra/rack' }]);
  });

  it('changes plugin data, leaving the inputs untouched', () => {
    const given = input();
    const before = structuredClone(given);
    const outcome = applyRules(
      [
        {
          actions: [
            { op: 'set-plugin-data', args: { path: 'labels.rack', value: '{node.extra[rack]}' } },
            { op: 'extend-plugin-data', args: { path: 'labels.nics', value: 'eno1' } },
            {
              op: 'extend-plugin-data',
              args: { path: 'labels/nics', value: 'eno1', unique: true },
            },
            { op: 'unset-plugin-data', args: { path: 'logs' } },
            { op: 'unset-plugin-data', args: { path: 'no.such' } },
            { op: 'set-attribute', args: { path: '/extra/rack', value: 'c7' } },
          ],
        },
      ],
      given,
    );
    expect(outcome.pluginData.labels).toEqual({ rack: 'b12', nics: ['eno1'] });
    expect(outcome.pluginData).not.toHaveProperty('logs');
    expect(outcome.logs).toContain('rule #1: unset-plugin-data: no such plugin data');
    expect(given).toEqual(before);
  });

  it('refuses to set an object field to a single value', () => {
    const outcome = applyRules(
      [
        {
          uuid: 'o',
          actions: [{ op: 'set-attribute', args: { path: '/driver_info', value: 'x' } }],
        },
      ],
      input(),
    );
    expect(outcome.failed).toBe(
      "Inspection rule o failed: '/driver_info' must be set to an object",
    );
  });

  it('writes log actions at their level', () => {
    const outcome = applyRules(
      [
        {
          uuid: 'l',
          actions: [
            { op: 'log', args: { msg: 'BMC at {inventory[bmc_address]}', level: 'WARNING' } },
          ],
        },
      ],
      input(),
    );
    expect(outcome.logs).toEqual(['rule l: log: [warning] BMC at 10.10.0.15']);
  });
});

describe('sensitive rules', () => {
  const credentials = (sensitive: boolean) => ({
    uuid: 'creds',
    sensitive,
    conditions: [{ op: 'is-true', args: { value: '{plugin_data[auto_discovered]}' } }],
    actions: [
      {
        op: 'set-attribute',
        args: { path: '/extra/old_password', value: '{node.driver_info[redfish_password]}' },
      },
      {
        op: 'set-attribute',
        args: { path: '/driver_info/redfish_address', value: 'https://{inventory[bmc_address]}' },
      },
      {
        op: 'set-attribute',
        args: { path: '/driver_info/redfish_password', value: '{plugin_data[bmc_password]}' },
      },
      {
        op: 'log',
        args: { msg: 'BMC {inventory[bmc_address]} password {plugin_data[bmc_password]}' },
      },
    ],
  });

  it('see secrets and keep every value out of their logs', () => {
    const outcome = applyRules([credentials(true)], input());
    expect(outcome.patch).toEqual([
      { op: 'add', path: '/extra/old_password', value: 'n0de-s3cret' },
      { op: 'add', path: '/driver_info/redfish_address', value: 'https://10.10.0.15' },
      { op: 'add', path: '/driver_info/redfish_password', value: 'calvin' },
    ]);
    expect(outcome.logs).toEqual([
      'rule creds: set-attribute /extra/old_password = ***',
      'rule creds: set-attribute /driver_info/redfish_address = ***',
      'rule creds: set-attribute /driver_info/redfish_password = ***',
      'rule creds: log: [info] BMC {inventory[bmc_address]} password {plugin_data[bmc_password]}',
    ]);
    const logs = outcome.logs.join('\n');
    for (const value of ['calvin', 'n0de-s3cret', '10.10.0.15']) expect(logs).not.toContain(value);
  });

  it('is what it takes to read secrets: other rules see them masked', () => {
    const outcome = applyRules([credentials(false)], input());
    expect(outcome.patch).toEqual([
      { op: 'add', path: '/extra/old_password', value: '******' },
      { op: 'add', path: '/driver_info/redfish_address', value: 'https://10.10.0.15' },
      { op: 'add', path: '/driver_info/redfish_password', value: '******' },
    ]);
    expect(outcome.logs.at(-1)).toBe('rule creds: log: [info] BMC 10.10.0.15 password ******');
  });

  it('fail with the message as written, and errors without the values', () => {
    const failing = applyRules(
      [
        {
          uuid: 's',
          sensitive: true,
          actions: [{ op: 'fail', args: { msg: 'bad password {plugin_data[bmc_password]}' } }],
        },
      ],
      input(),
    );
    expect(failing.failed).toBe('bad password {plugin_data[bmc_password]}');
    const erring = applyRules(
      [
        {
          uuid: 's',
          sensitive: true,
          conditions: [
            { op: 'lt', args: { values: ['{plugin_data[bmc_password]}', 1, { a: 1 }] } },
          ],
          actions: [log('x')],
        },
      ],
      input(),
    );
    expect(erring.failed).toBe('Inspection rule s failed: values cannot be ordered');
  });
});

describe('the fixture', () => {
  it('is the inventory the rules see', () => {
    expect(input().inventory).toEqual(ipaInventory());
  });
});
