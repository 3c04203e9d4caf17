import { catalogOf, rootRouter } from './module.ts';
import { admin } from './admin/index.ts';
import { affiliate } from './affiliate/index.ts';
import { bots } from './bots/index.ts';
import { drafts } from './drafts/index.ts';
import { email } from './email/index.ts';
import { ios } from './ios/index.ts';
import { storage } from './storage/index.ts';

/** Every module, in the order their migrations apply. Adding a module is one line here. */
export const modules = [drafts, bots, affiliate, email, storage, ios, admin] as const;

/** The whole API: one sub-router per module (see `rootRouter`). */
export const appRouter = rootRouter(modules);
export type AppRouter = typeof appRouter;

/** Everything the modules hand over, gathered: projections, expiring tables, migrations, purge hooks. */
export const catalog = catalogOf(modules);
