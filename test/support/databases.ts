import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The machine's PostgreSQL (trust auth); TEST_POSTGRES_URL overrides. */
export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const pgAvailable = await postgresAnswers();
if (!pgAvailable) {
  if (process.env.CI === 'true') throw new Error(`PostgreSQL does not answer at ${ADMIN_URL}, and CI=true requires it`);
  console.warn(`[mayfly tests] PostgreSQL does not answer at ${ADMIN_URL}: the Postgres variants are skipped`);
}

/** A database URL a test file can use, and how to drop it. */
export interface TestDatabase extends AsyncDisposable {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty Postgres database for one test file. */
export async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `mayfly_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const drop = async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
  return { url: url.toString(), drop, [Symbol.asyncDispose]: drop };
}

/**
 * The database implementations every behaviour suite runs against: in-memory PGlite, and
 * the machine's PostgreSQL (skipped with a notice where none answers, but never under CI).
 */
export const DATABASES: { name: 'pglite' | 'postgres'; skip: boolean }[] = [
  { name: 'pglite', skip: false },
  { name: 'postgres', skip: !pgAvailable },
];

/** A DATABASE_URL for the named implementation, fresh for the caller. */
export async function testDatabaseUrl(kind: 'pglite' | 'postgres'): Promise<TestDatabase> {
  if (kind === 'pglite') return { url: 'memory://', drop: async () => undefined, [Symbol.asyncDispose]: async () => undefined };
  return createPostgresDatabase();
}
