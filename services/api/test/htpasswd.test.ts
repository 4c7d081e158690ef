import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { authConfigFromEnv } from '../src/auth/config.js';
import { HtpasswdUsers } from '../src/auth/htpasswd.js';

// Cost 4: the lowest bcrypt allows, so that the test does not spend its time hashing.
const digest = (password: string) => bcrypt.hashSync(password, 4);
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('http_basic users (htpasswd)', () => {
  it('needs its file', () => {
    expect(() => authConfigFromEnv({ INGOT_AUTH_STRATEGY: 'http_basic' })).toThrow(
      /INGOT_AUTH_HTPASSWD_FILE/,
    );
    expect(
      authConfigFromEnv({ INGOT_AUTH_STRATEGY: 'http_basic', INGOT_AUTH_HTPASSWD_FILE: '/x' }),
    ).toMatchObject({ strategy: 'http_basic', htpasswdFile: '/x' });
  });

  it('accepts the right password of a listed user as a system admin, and nothing else', async () => {
    const users = HtpasswdUsers.parse(
      `# operators\nops:${digest('s3cret pass')}\n\nmetal3:${digest('other')}\n`,
    );
    expect(users.size).toBe(2);
    const ops = await users.authenticate(basic('ops', 's3cret pass'));
    expect(ops?.name).toBe('ops');
    expect(ops?.projectId).toBeNull();
    expect([...ops!.roles]).toContain('admin');
    // Remembered after a success: the same answer again.
    expect((await users.authenticate(basic('ops', 's3cret pass')))?.name).toBe('ops');
    expect(await users.authenticate(basic('ops', 'wrong'))).toBeUndefined();
    expect(await users.authenticate(basic('ops', 'other'))).toBeUndefined(); // metal3's
    expect(await users.authenticate(basic('nobody', 's3cret pass'))).toBeUndefined();
    expect(await users.authenticate(undefined)).toBeUndefined();
    expect(await users.authenticate('Bearer abc')).toBeUndefined();
    expect(await users.authenticate('Basic !!!')).toBeUndefined();
    expect(await users.authenticate(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBe(
      undefined,
    );
  });

  it("reads Apache's $2y$ digests (htpasswd -B) as $2b$", async () => {
    const apache = digest('pw').replace(/^\$2[ab]\$/, '$2y$');
    const users = HtpasswdUsers.parse(`ops:${apache}\n`);
    expect((await users.authenticate(basic('ops', 'pw')))?.name).toBe('ops');
  });

  it('refuses a file with anything but user:bcrypt lines, naming the line', () => {
    expect(() => HtpasswdUsers.parse('ops:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n', 'users')).toThrow(
      /users line 1: the password of 'ops' is not a bcrypt digest/,
    );
    expect(() => HtpasswdUsers.parse(`ops:${digest('a')}\nops:${digest('b')}\n`)).toThrow(
      /line 2: user 'ops' is listed twice/,
    );
    expect(() => HtpasswdUsers.parse('just-a-name\n')).toThrow(/line 1 is not user:password/);
    expect(() => HtpasswdUsers.parse('# nobody\n')).toThrow(/lists no user/);
  });
});
