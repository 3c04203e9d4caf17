import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { api } from '../api.ts';
import { ago, num, time } from '../format.ts';
import { usePoll } from '../poll.ts';
import { ErrorLine, Loading, Panel, Status } from '../ui.ts';

/** Replays (`npm run ops -- replay`): running and finished, with their progress. */
export function Replays(): VNode {
  const replays = usePoll(api.replays);
  return html`<${Panel} title="Replays" note="projections rebuilt from their streams (npm run ops -- replay)">
    <${ErrorLine} error=${replays.error} />
    ${!replays.data
      ? html`<${Loading} />`
      : replays.data.items.length === 0
        ? html`<p class="muted empty">No replay has run yet.</p>`
        : html`<table>
            <thead><tr><th>projection</th><th>app</th><th>state</th><th>progress</th><th class="n">events</th><th class="n">still to apply</th><th>started</th><th>updated</th></tr></thead>
            <tbody>
              ${replays.data.items.map(
                (r) => html`<tr key=${r.id}>
                  <td>${r.projection}</td><td>${r.app_id ?? 'all apps'}</td>
                  <td><${Status} ok=${r.status !== 'abandoned'} label=${r.status} /></td>
                  <td><progress max="1" value=${r.progress}></progress> <span class="muted">${Math.round(r.progress * 100)}%</span></td>
                  <td class="n">${num(r.events)}</td><td class="n">${num(r.pending)}</td>
                  <td title=${time(r.started_at)}>${ago(r.started_at)}</td><td title=${time(r.updated_at)}>${ago(r.updated_at)}</td>
                </tr>`,
              )}
            </tbody>
          </table>`}
  <//>`;
}
