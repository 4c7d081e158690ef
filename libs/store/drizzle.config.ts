import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './libs/store/src/schema.ts',
  out: './libs/store/drizzle',
  casing: 'snake_case',
});
