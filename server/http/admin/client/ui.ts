import { html } from 'htm/preact';
import type { ComponentChildren, VNode } from 'preact';

/** A panel: a heading, an optional note on the right, its content. */
export function Panel(props: { title: string; note?: ComponentChildren; children?: ComponentChildren; id?: string }): VNode {
  return html`<section class="panel" id=${props.id}>
    <header><h2>${props.title}</h2>${props.note ? html`<span class="note">${props.note}</span>` : null}</header>
    ${props.children}
  </section>`;
}

/** What a failed load or action said. */
export function ErrorLine(props: { error: string | undefined }): VNode | null {
  return props.error ? html`<p class="error" role="alert">${props.error}</p>` : null;
}

/** "Loading…" until the first answer. */
export const Loading = (): VNode => html`<p class="muted">Loading…</p>`;

/** A status dot with its word. */
export function Status(props: { ok: boolean; label?: string }): VNode {
  return html`<span class=${props.ok ? 'status ok' : 'status bad'}>${props.label ?? (props.ok ? 'ok' : 'failing')}</span>`;
}

/** A 0..1 share as a bar (a <meter>, no inline style). */
export function Bar(props: { value: number; warn?: number; title?: string }): VNode {
  const v = Math.max(0, Math.min(1, props.value));
  return html`<meter min="0" max="1" low=${props.warn ?? 0.8} high=${props.warn ?? 0.8} optimum="0" value=${v} title=${props.title}></meter>`;
}
