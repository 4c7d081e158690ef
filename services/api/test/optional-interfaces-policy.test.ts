import { describe, expect, it } from 'vitest';
import { authorize, principal, routePolicy } from '../src/auth/policy.js';

describe('policies of the VIF, BIOS, console, RAID, vendor and volume routes', () => {
  it("map to Ironic's policy names", () => {
    const cases: [string, string, string[]][] = [
      ['GET', '/v1/nodes/:node_ident/vifs', ['baremetal:node:vif:list']],
      ['POST', '/v1/nodes/:node_ident/vifs', ['baremetal:node:vif:attach']],
      ['DELETE', '/v1/nodes/:node_ident/vifs/:vif_id', ['baremetal:node:vif:detach']],
      ['GET', '/v1/nodes/:node_ident/bios', ['baremetal:node:bios:get']],
      ['GET', '/v1/nodes/:node_ident/bios/:setting_name', ['baremetal:node:bios:get']],
      ['GET', '/v1/nodes/:node_ident/states/console', ['baremetal:node:get_console']],
      ['PUT', '/v1/nodes/:node_ident/states/console', ['baremetal:node:set_console_state']],
      ['PUT', '/v1/nodes/:node_ident/states/raid', ['baremetal:node:set_raid_state']],
      [
        'GET',
        '/v1/drivers/:driver_name/raid/logical_disk_properties',
        ['baremetal:driver:get_raid_logical_disk_properties'],
      ],
      ['GET', '/v1/nodes/:node_ident/vendor_passthru/methods', ['baremetal:node:vendor_passthru']],
      [
        'GET',
        '/v1/drivers/:driver_name/vendor_passthru/methods',
        ['baremetal:driver:vendor_passthru'],
      ],
      ['GET', '/v1/volume', ['baremetal:volume:get']],
      ['GET', '/v1/nodes/:node_ident/volume', ['baremetal:volume:get']],
      ['GET', '/v1/volume/connectors', ['baremetal:volume:list_all', 'baremetal:volume:list']],
      [
        'GET',
        '/v1/nodes/:node_ident/volume/targets',
        ['baremetal:volume:list_all', 'baremetal:volume:list'],
      ],
      ['GET', '/v1/volume/targets/:target_uuid', ['baremetal:volume:get']],
      ['POST', '/v1/volume/connectors', ['baremetal:volume:create']],
      ['PATCH', '/v1/volume/connectors/:connector_uuid', ['baremetal:volume:update']],
      ['DELETE', '/v1/volume/targets/:target_uuid', ['baremetal:volume:delete']],
    ];
    for (const [method, pattern, policies] of cases)
      expect(routePolicy(method, pattern).policies, `${method} ${pattern}`).toEqual(policies);
  });

  it("grant Ironic's defaults", () => {
    const systemReader = principal('sr', ['reader']);
    const systemMember = principal('sm', ['member']);
    const projectReader = principal('pr', ['reader'], 'p1');
    const ownerAdmin = principal('oa', ['admin'], 'p1');
    const lesseeAdmin = principal('la', ['admin'], 'p2');
    const node = { owner: 'p1', lessee: 'p2' };
    // Vendor passthru is for system administrators only.
    expect(authorize(systemMember, 'baremetal:node:vendor_passthru', node)).toBe(false);
    expect(authorize(principal('a', ['admin']), 'baremetal:driver:vendor_passthru')).toBe(true);
    // Anyone may list volume records (a project sees its own), all of them only system readers.
    expect(authorize(projectReader, 'baremetal:volume:list')).toBe(true);
    expect(authorize(projectReader, 'baremetal:volume:list_all')).toBe(false);
    expect(authorize(systemReader, 'baremetal:volume:list_all')).toBe(true);
    // Creating and deleting: system members, or the node's owner or lessee administrators.
    expect(authorize(systemReader, 'baremetal:volume:create')).toBe(false);
    expect(authorize(systemMember, 'baremetal:volume:create')).toBe(true);
    expect(authorize(ownerAdmin, 'baremetal:volume:delete', node)).toBe(true);
    expect(authorize(lesseeAdmin, 'baremetal:volume:delete', node)).toBe(true);
    expect(authorize(principal('lm', ['member'], 'p2'), 'baremetal:volume:delete', node)).toBe(
      false,
    );
  });
});
