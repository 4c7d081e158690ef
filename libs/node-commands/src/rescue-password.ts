import { encrypt } from 'unixcrypt';

/**
 * Where a node keeps the password of its rescue user, as Ironic does: instance_info holds only its
 * crypt(3) hash, which the conductor hands to the agent (rescue.finalize_rescue with hashed:
 * true) and removes once the rescue is over. The password itself is never stored.
 */
export const HASHED_RESCUE_PASSWORD = 'hashed_rescue_password';

/**
 * The password as a SHA-512 crypt hash (`$6$<16-character random salt>$...`, 5000 rounds), the
 * format /etc/shadow, IPA's ipa-rescue-password file and `openssl passwd -6` share (Ironic's
 * [conductor]rescue_password_hash_algorithm = sha512).
 */
export const hashRescuePassword = (password: string): string => encrypt(password);
