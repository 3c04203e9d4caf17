import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, type Parked } from '../api.ts';
import { ago, duration, num, time } from '../format.ts';
import { usePoll } from '../poll.ts';
import { ErrorLine, Loading, Panel, Status } from '../ui.ts';

function ParkedEvents(): VNode {
  const parked = usePoll(api.parked);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const act = async (p: Parked, what: 'retry' | 'drop') => {
    setBusy(`${p.projection}/${p.seq}`);
    setError(undefined);
    try {
      await (what === 'retry' ? api.retryParked(p) : api.dropParked(p));
    } catch (err) {
      setError(`${what} ${p.projection} #${p.seq}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(undefined);
      parked.reload();
    }
  };
  return html`<${Panel} title="Parked events" note="events a projection could not apply, set aside">
    <${ErrorLine} error=${error ?? parked.error} />
    ${!parked.data
      ? html`<${Loading} />`
      : parked.data.items.length === 0
        ? html`<p class="muted empty">None: every projection applied every event.</p>`
        : html`<table>
            <thead><tr><th>projection</th><th>stream</th><th class="n">sequence</th><th>why</th><th class="n">attempts</th><th>last failed</th><th></th></tr></thead>
            <tbody>
              ${parked.data.items.map(
                (p) => html`<tr key=${`${p.projection}/${p.seq}`}>
                  <td>${p.projection}</td><td>${p.stream}</td><td class="n">${p.seq}</td>
                  <td class="why">${p.error}</td><td class="n">${p.attempts}</td>
                  <td title=${time(p.last_failed_at)}>${ago(p.last_failed_at)}</td>
                  <td class="actions">
                    <button disabled=${busy !== undefined} onClick=${() => void act(p, 'retry')}>Retry</button>
                    <button class="danger" disabled=${busy !== undefined} onClick=${() => void act(p, 'drop')}>Drop</button>
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>`}
  <//>`;
}

/** Projections: each one's checkpoint and lag; the other durable consumers; parked events to retry or drop. */
export function Projections(): VNode {
  const consumers = usePoll(api.consumers);
  const items = consumers.data?.items ?? [];
  const projections = items.filter((c) => c.projection !== null);
  const others = items.filter((c) => c.projection === null);
  return html`<div>
    <${Panel} title="Projections" note="checkpoint: last stream sequence applied to Postgres">
      <${ErrorLine} error=${consumers.error} />
      ${consumers.data
        ? html`<table class="projections">
            <thead><tr><th>projection</th><th>stream</th><th class="n">rows</th><th class="n">checkpoint</th><th class="n">lag (messages)</th><th class="n">lag (time)</th><th class="n">redelivered</th><th>state</th></tr></thead>
            <tbody>
              ${projections.map(
                (c) => html`<tr key=${c.name} data-projection=${c.projection}>
                  <td>${c.projection}</td><td>${c.stream}</td>
                  <td class="n" data-col="rows">${c.rows_estimated ? '≈ ' : ''}${num(c.rows)}</td>
                  <td class="n" data-col="checkpoint">${num(c.checkpoint)}</td>
                  <td class="n">${num(c.lag_messages)}</td>
                  <td class="n">${c.lag_seconds === 0 ? '0 s' : duration(c.lag_seconds)}</td>
                  <td class="n">${num(c.redelivered)}</td>
                  <td><${Status} ok=${(c.lag_seconds ?? 0) < 60} label=${(c.lag_messages ?? 0) === 0 ? 'caught up' : (c.lag_seconds ?? 0) < 60 ? 'catching up' : 'behind'} /></td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : html`<${Loading} />`}
    <//>
    <${ParkedEvents} />
    <${Panel} title="Other consumers" note="workers: they act on events, they project nothing">
      ${consumers.data
        ? html`<table>
            <thead><tr><th>consumer</th><th>stream</th><th class="n">pending</th><th class="n">unacknowledged</th><th class="n">redelivered</th><th class="n">delivered up to</th></tr></thead>
            <tbody>
              ${others.map(
                (c) => html`<tr key=${c.name}><td>${c.name}</td><td>${c.stream}</td><td class="n">${num(c.pending)}</td><td class="n">${num(c.ack_pending)}</td><td class="n">${num(c.redelivered)}</td><td class="n">${num(c.delivered_seq)}</td></tr>`,
              )}
            </tbody>
          </table>`
        : html`<${Loading} />`}
    <//>
  </div>`;
}
