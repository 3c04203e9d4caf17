import { describe, expect, it } from 'vitest';
import { checkLayers, violation } from './check-layers.ts';

const imp = (from: string, to: string, typeOnly = false) => violation({ from, to, typeOnly });

describe('the import-direction check', () => {
  it('lets imports point down the layers', () => {
    expect(imp('server/http/app.ts', 'server/modules/index.ts')).toBeUndefined();
    expect(imp('server/modules/drafts/router.ts', 'server/trpc/trpc.ts')).toBeUndefined();
    expect(imp('consumers/projector/projector.ts', 'server/platform/db/database.ts')).toBeUndefined();
    expect(imp('server/platform/events/publisher.ts', 'server/fast-paths/pipelined-publisher.ts')).toBeUndefined();
    expect(imp('server/runtime/start.ts', 'server/http/app.ts')).toBeUndefined();
  });

  it('refuses arrows that run back up, and HTTP or tRPC below the procedures', () => {
    expect(imp('server/trpc/trpc.ts', 'server/http/errors.ts')).toMatch(/procedures layer may not import the edge/);
    expect(imp('consumers/read-side/checkpoints.ts', 'server/trpc/errors.ts')).toMatch(/frameworks layer may not import the procedures/);
    expect(imp('server/platform/db/pg.ts', 'consumers/worker.ts')).toMatch(/platform layer may not import the frameworks/);
    expect(imp('server/platform/errors.ts', '@trpc/server')).toMatch(/knows nothing of HTTP or tRPC/);
    expect(imp('server/fast-paths/rest-bridge.ts', 'server/trpc/context.ts')).toMatch(/fast-paths layer may not import/);
  });

  it('lets a module reach another only through its index.ts, and nobody import an entry point', () => {
    expect(imp('server/modules/bots/notify.ts', 'server/modules/ios/index.ts')).toBeUndefined();
    expect(imp('server/modules/bots/notify.ts', 'server/modules/ios/push.ts')).toMatch(/reaches into module ios/);
    expect(imp('consumers/main.ts', 'server/main.ts')).toMatch(/entry point/);
  });

  it('accepts the client entry’s type-only AppRouter and nothing else upward from contracts', () => {
    expect(imp('contracts/src/router.ts', 'server/modules/index.ts', true)).toBeUndefined();
    expect(imp('contracts/src/router.ts', 'server/modules/index.ts', false)).toMatch(/contracts layer may not import/);
    expect(imp('contracts/src/drafts.ts', 'server/platform/errors.ts', true)).toMatch(/contracts layer may not import/);
  });

  it('finds nothing to refuse in the project as it is', () => {
    expect(checkLayers('.')).toEqual([]);
  });
});
