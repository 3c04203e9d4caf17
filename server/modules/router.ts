import { affiliate } from './affiliate/index.ts';
import { bots } from './bots/index.ts';
import { adminRouter } from './admin/router.ts';
import { drafts } from './drafts/index.ts';
import { email } from './email/index.ts';
import { storage } from './storage/index.ts';
import { ios } from './ios/index.ts';
import { createCallerFactory, router } from '../trpc/trpc.ts';

/** The whole API: one sub-router per module. */
export const appRouter = router({
  drafts: drafts.router,
  bots: bots.router,
  affiliate: affiliate.router,
  email: email.router,
  storage: storage.router,
  ios: ios.router,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
