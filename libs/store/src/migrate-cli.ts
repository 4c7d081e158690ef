// `npm run db:migrate`: applies the schema to DATABASE_URL (services also do it at start).
import { migrateDatabase } from './migrate.js';
import { databaseUrlFromEnv } from './config.js';

const url = databaseUrlFromEnv();
await migrateDatabase(url);
console.log(`migrations applied to ${new URL(url).pathname.slice(1) || 'the default database'}`);
