// rescue.finalize_rescue: the rescue user's password, then the agent leaves the ramdisk to them.
import { randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { encrypt } from 'unixcrypt';
import { AgentError } from '../errors.js';
import type { CommandContext, CommandTable, Params } from './definition.js';

/**
 * As IPA's RescueExtension: Ironic sends the password's crypt(3) hash with hashed: true (a SHA-512
 * `$6$` one from Ingot's API); an old-style clear password is hashed here with SHA-256 crypt, as
 * IPA does. The hash is written to the rescue password file, which the ramdisk's rescue service
 * sets the `rescue` user's password from; then, as IPA stops serving its API after this command,
 * the agent answers, stops heartbeating and exits, leaving the machine running for that user.
 */
export function rescueCommands(ctx: CommandContext): CommandTable {
  return {
    'rescue.finalize_rescue': {
      kind: 'sync',
      validate: (params) => void passwordOf(params),
      run: async (params) => {
        const { password, hashed } = passwordOf(params);
        const hash = hashed ? password : encrypt(password, `$5$${randomSalt()}`);
        const file = ctx.config.rescue_password_file;
        try {
          await mkdir(dirname(file), { recursive: true, mode: 0o700 });
          await writeFile(file, hash, { mode: 0o600 });
        } catch (err) {
          throw AgentError.commandExecution(
            `Rescue Operation failed when writing the hashed rescue password to ${file}: ${(err as Error).message}`,
          );
        }
        ctx.log.info(
          'rescue password written; the agent stops and leaves the ramdisk to the rescue user',
          {
            file,
          },
        );
        ctx.depart('rescue');
        return null;
      },
    },
  };
}

function passwordOf(params: Params): { password: string; hashed: boolean } {
  const password = params.rescue_password;
  if (typeof password !== 'string' || password === '')
    throw AgentError.invalidParams('rescue_password must be a non-empty string');
  const hashed = params.hashed ?? false;
  if (typeof hashed !== 'boolean') throw AgentError.invalidParams('hashed must be true or false');
  if (hashed && !/^\$[156]\$/.test(password))
    throw AgentError.invalidParams(
      'a hashed rescue_password must be a crypt(3) hash ($1$, $5$ or $6$)',
    );
  return { password, hashed };
}

const SALT_CHARACTERS = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** 16 characters of crypt's salt alphabet, as Python's crypt.mksalt makes them. */
function randomSalt(): string {
  return Array.from({ length: 16 }, () => SALT_CHARACTERS[randomInt(SALT_CHARACTERS.length)]).join(
    '',
  );
}
