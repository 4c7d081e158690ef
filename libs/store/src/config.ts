/** PostgreSQL URL from DATABASE_URL; the default suits a laptop and the CI machines. */
export function databaseUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ingot';
}
