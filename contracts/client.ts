// The client entry of @mayfly/contracts (`@mayfly/contracts/client`): the typed tRPC client
// factory and the `AppRouter` type. The router type is the contracts' one arrow back into the
// server, and it is type-only: erased at run time, so this entry loads no server code either.
export type { AppRouter } from './src/router.ts';
export { createMayflyClient, type MayflyClientOptions, type MayflyClient } from './src/client.ts';
