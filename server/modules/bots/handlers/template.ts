import { z } from 'zod';
import type { BotHandler } from './handler.ts';

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
type Values = { [key: string]: z.infer<typeof Scalar> | Values };
const ValuesSchema: z.ZodType<Values> = z.lazy(() => z.record(z.string(), z.union([Scalar, ValuesSchema])));

const TemplateContext = z.strictObject({
  template: z.string().max(65_536),
  values: ValuesSchema.default({}),
  escape_html: z.boolean().default(false),
});
type TemplateContext = z.infer<typeof TemplateContext>;

const TAG = /\{\{\s*([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*\}\}/g;
const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Logic-less rendering: `{{name}}` and `{{a.b}}` are replaced by values looked up among the
 * values' own keys; nothing else is interpreted, so no code is ever evaluated. A missing
 * value renders as empty text.
 */
export function render(template: string, values: Values, escapeHtml: boolean): string {
  return template.replace(TAG, (_, path: string) => {
    let v: unknown = values;
    for (const key of path.split('.')) {
      v = v !== null && typeof v === 'object' && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
    }
    const text = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
    return escapeHtml ? text.replace(/[&<>"']/g, (c) => HTML[c]!) : text;
  });
}

/** `template`: `{template, values, escape_html?}` -> `{text}`. */
export const templateHandler: BotHandler<TemplateContext> = {
  name: 'template',
  context: TemplateContext,
  example: { template: 'Hello {{name}}', values: { name: 'Ada' }, escape_html: false },
  run: async (c) => ({ text: render(c.template, c.values, c.escape_html) }),
};
