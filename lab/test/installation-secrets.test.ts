// Installation.stop() is the suite's secret check: every test's installation fails its teardown
// if a service wrote a registered secret. This proves the check itself catches a leak.
import { describe, expect, it } from 'vitest';
import { Installation } from '../src/installation.js';

describe('an installation checks its services output for secrets', () => {
  it('finds the secret key and a registered password, and names the service without repeating them', async () => {
    const system = await Installation.create({ INGOT_ADMIN_TOKEN: 'admin-token-0123456789' });
    try {
      system.registerSecret('bmc-password-xyz');
      system.registerSecret('short'); // too short to be told from ordinary words: not checked
      const output = [
        '{"msg":"starting"}\n',
        `{"msg":"oops","key":"${system.secretKey}"}\n`,
        '{"msg":"bmc said no to bmc-password-xyz"}\n',
        '{"msg":"a short word"}\n',
      ];
      // A service's captured output, as startService collects it.
      system.services.push({ name: 'api', output } as never);
      const leaks = system.leakedSecrets();
      expect(leaks).toHaveLength(2);
      expect(leaks.join('\n')).not.toContain(system.secretKey);
      expect(leaks.join('\n')).not.toContain('bmc-password-xyz');
      expect(leaks[0]).toMatch(/^api: .*<SECRET>/);
    } finally {
      system.services.length = 0;
      await system.stop().catch(() => undefined);
    }
  });
});
