// Type-only: erased at run time, so the package never loads server code.
export type { AppRouter } from '../../server/modules/index.ts';
