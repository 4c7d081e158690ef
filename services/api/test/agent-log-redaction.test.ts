import { describe, expect, it } from 'vitest';
import { redactLogLine } from '../src/agent-logs/redact-line.js';

describe('agent log lines are redacted before they are stored', () => {
  const token = 'Zm9vYmFyLWFnZW50LXRva2VuLTAxMjM0NTY3ODk';

  it.each([
    [`lookup answered {"agent_token":"${token}"}`, 'lookup answered {"agent_token":"******"}'],
    [`using token ${token} for heartbeats`, 'using token ****** for heartbeats'],
    [
      'finalize_rescue {"rescue_password":"$6$salt$hash\\"with quote","x":1}',
      'finalize_rescue {"rescue_password":"******","x":1}',
    ],
    ['mount -o username=ops,password=hunter2-long x', 'mount -o username=ops,password=****** x'],
    [
      'ipmitool -U admin -P secret password: s3cr3t!',
      'ipmitool -U admin -P secret password: ******',
    ],
    [
      'GET https://ops:Sup3rS3cret@images.example/disk.qcow2 failed',
      'GET https://ops:******@images.example/disk.qcow2 failed',
    ],
    [
      'headers {"Authorization":"Bearer abc.def.ghi","Accept":"*/*"}',
      'headers {"Authorization":"Bearer ******","Accept":"*/*"}',
    ],
    ['Authorization: Basic b3BzOnB3', 'Authorization: Basic ******'],
    ['X-Auth-Token: 0123456789abcdef', 'X-Auth-Token: ******'],
    [
      'http://10.0.0.1/v1/lookup?addresses=aa&token=abcdef123',
      'http://10.0.0.1/v1/lookup?addresses=aa&token=******',
    ],
  ])('%s', (line, expected) => {
    expect(redactLogLine(line, [token])).toBe(expected);
  });

  it('leaves lines without secrets as they are', () => {
    for (const line of [
      'heartbeat sent {"next_in_s":12.3}',
      'erasing /dev/sda with 1 pass',
      '{"agent_token_required":true,"heartbeat_timeout":300}',
      'the token was masked: ******',
    ])
      expect(redactLogLine(line, [token])).toBe(line);
  });

  it('masks a known secret wherever it appears, but never a short one', () => {
    expect(redactLogLine(`x${token}y`, [token])).toBe('x******y');
    expect(redactLogLine('admin admin', ['admin'])).toBe('admin admin');
  });
});
