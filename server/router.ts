import { drafts } from './modules/drafts/index.ts';
import { createCallerFactory, router } from './trpc.ts';

/** The whole API: one sub-router per module. */
export const appRouter = router({
  drafts: drafts.router,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
