// `npm run secrets:reseal`: after INGOT_SECRET_KEY changed (the old key moved to
// INGOT_SECRET_KEY_PREVIOUS), seals every stored secret again with the new key. When it reports
// nothing left to do, the previous key can be removed from every service.
import { databaseUrlFromEnv } from './config.js';
import { openDatabase } from './db.js';
import { resealSecrets } from './reseal.js';
import { secretBoxFromEnv } from './secret-box.js';

const box = secretBoxFromEnv();
const database = openDatabase(databaseUrlFromEnv());
try {
  const report = await resealSecrets(database.db, box);
  const total = report.resealed.driver_secrets + report.resealed.agent_token_sealed;
  console.log(
    `sealed again with key ${box.keyId}: ${report.resealed.driver_secrets} BMC credentials, ` +
      `${report.resealed.agent_token_sealed} agent tokens` +
      (report.skipped ? `; ${report.skipped} changed meanwhile (run again)` : '') +
      (total === 0 && report.skipped === 0 ? ' (nothing was sealed with a previous key)' : ''),
  );
} finally {
  await database.close();
}
