import { z } from 'zod';
import type { BotHandler } from './handler.ts';

/** `echo`: the output is the context, unchanged. */
export const echoHandler: BotHandler<Record<string, unknown>> = {
  name: 'echo',
  context: z.record(z.string(), z.unknown()),
  example: { hello: 'world' },
  run: async (context) => context,
};
