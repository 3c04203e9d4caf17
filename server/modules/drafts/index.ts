import { draftSubject } from '@mayfly/contracts';
import { defineModule } from '../module.ts';
import { draftsProjection } from './projection/index.ts';
import { draftsRouter } from './router.ts';

/** Drafts: short-lived text that lives in the DRAFTS stream and the `drafts` projection. */
export const drafts = defineModule({
  name: 'drafts',
  router: draftsRouter,
  projections: [draftsProjection],
  expiring: [{ table: 'drafts', stream: 'DRAFTS', subject: draftSubject }],
  migrations: { module: 'drafts', dir: new URL('./migrations/', import.meta.url) },
});
