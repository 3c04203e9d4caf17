import { affiliate } from './modules/affiliate/index.ts';
import { bots } from './modules/bots/index.ts';
import { adminRouter } from './modules/admin/router.ts';
import { drafts } from './modules/drafts/index.ts';
import { email } from './modules/email/index.ts';
import { storage } from './modules/storage/index.ts';
import { ios } from './modules/ios/index.ts';
import { createCallerFactory, router } from './trpc.ts';

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
