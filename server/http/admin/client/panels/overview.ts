import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useRef } from 'preact/hooks';
import { api, type ConsumerSummary, type Health, type StreamSummary, type Traffic } from '../api.ts';
import { duration, num, rate } from '../format.ts';
import { usePoll } from '../poll.ts';
import { Bar, ErrorLine, Loading, Panel, Status } from '../ui.ts';

interface Sample {
  at: number;
  events: number;
  traffic: Traffic;
}

interface Rates {
  events: number | null;
  reads: number | null;
  writes: number | null;
}

/** Key-value streams (leases) are the service's own bookkeeping, not writes. */
const isDataStream = (s: StreamSummary) => !s.name.startsWith('KV_');

/** Rates between two samples: broker-wide events from the streams' sequences, this instance's calls from its counters. */
function ratesOf(prev: Sample | undefined, now: Sample): Rates {
  if (!prev) return { events: null, reads: null, writes: null };
  const seconds = (now.at - prev.at) / 1000;
  if (seconds <= 0) return { events: null, reads: null, writes: null };
  const same = prev.traffic.instance === now.traffic.instance;
  return {
    events: Math.max(0, now.events - prev.events) / seconds,
    reads: same ? Math.max(0, now.traffic.reads_total - prev.traffic.reads_total) / seconds : null,
    writes: same ? Math.max(0, now.traffic.writes_total - prev.traffic.writes_total) / seconds : null,
  };
}

function HealthCards(props: { health: Health }): VNode {
  const { postgres, nats, s3 } = props.health.checks;
  return html`<div class="cards">
    <div class="card">
      <h3>PostgreSQL</h3>
      <${Status} ok=${postgres.ok} />
      <dl><dt>answered in</dt><dd>${num(postgres.latency_ms)} ms</dd><dt>driver</dt><dd>${postgres.detail ?? '–'}</dd></dl>
    </div>
    <div class="card">
      <h3>NATS JetStream</h3>
      <${Status} ok=${nats.ok} />
      <dl>
        <dt>server</dt><dd class="version">${nats.server_version}</dd>
        <dt>cluster</dt><dd class="cluster">${nats.cluster_name ? `${nats.cluster_name}, ${nats.cluster_size} servers` : 'single server'}</dd>
        <dt>answered in</dt><dd>${num(nats.latency_ms)} ms</dd>
      </dl>
    </div>
    <div class="card">
      <h3>S3</h3>
      ${s3
        ? html`<${Status} ok=${s3.ok} /><dl><dt>answered in</dt><dd>${num(s3.latency_ms)} ms</dd>${s3.ok ? null : html`<dt>problem</dt><dd>${s3.detail}</dd>`}</dl>`
        : html`<${Status} ok=${true} label="not configured" /><p class="muted">Storage procedures answer 503.</p>`}
    </div>
  </div>`;
}

/** How far the projections are behind their streams, the worst of them. */
function Lag(props: { projections: readonly ConsumerSummary[] }): VNode {
  const worst = props.projections.reduce<ConsumerSummary | undefined>((w, c) => ((c.lag_seconds ?? 0) > (w?.lag_seconds ?? 0) ? c : w), undefined);
  const behind = props.projections.filter((c) => (c.lag_messages ?? 0) > 0).length;
  return html`<div class="card figure">
    <h3>Projections</h3>
    <p class="big">${behind === 0 ? 'caught up' : `${behind} behind`}</p>
    <p class="muted">${worst && (worst.lag_seconds ?? 0) > 0 ? `${worst.projection}: ${duration(worst.lag_seconds)} behind` : `${props.projections.length} projections, no lag`}</p>
  </div>`;
}

/** Overview: dependencies, traffic, and how old each stream's oldest message is against its max-age. */
export function Overview(): VNode {
  const health = usePoll(api.health);
  const last = useRef<Sample | undefined>(undefined);
  const rates = useRef<Rates>({ events: null, reads: null, writes: null });
  const projections = usePoll(async () => (await api.consumers()).items.filter((c) => c.projection !== null));
  const data = usePoll(async () => {
    const [streams, traffic] = await Promise.all([api.streams(), api.traffic()]);
    const sample = { at: Date.parse(traffic.at), events: streams.items.filter(isDataStream).reduce((n, s) => n + s.last_seq, 0), traffic };
    rates.current = ratesOf(last.current, sample);
    last.current = sample;
    return streams.items;
  });
  const r = rates.current;
  return html`<div>
    <${Panel} title="Health" note=${health.data ? html`<${Status} ok=${health.data.status === 'ok'} label=${health.data.status} />` : null}>
      <${ErrorLine} error=${health.error} />
      ${health.data ? html`<${HealthCards} health=${health.data} />` : html`<${Loading} />`}
    <//>
    <${Panel} title="Traffic" note="over the last few seconds">
      <div class="cards">
        <div class="card figure"><h3>Events written</h3><p class="big" data-figure="events-rate">${rate(r.events)}</p><p class="muted">into the streams, all instances</p></div>
        <div class="card figure"><h3>Reads</h3><p class="big">${rate(r.reads)}</p><p class="muted">queries on this API instance</p></div>
        <div class="card figure"><h3>Writes</h3><p class="big">${rate(r.writes)}</p><p class="muted">mutations on this API instance</p></div>
        ${projections.data ? html`<${Lag} projections=${projections.data} />` : null}
      </div>
    <//>
    <${Panel} title="Retention" note="age of the oldest message in each stream against its max-age">
      <${ErrorLine} error=${data.error} />
      ${data.data
        ? html`<table class="retention">
            <thead><tr><th>stream</th><th class="n">messages</th><th class="n">oldest message</th><th class="n">max-age</th><th>used</th></tr></thead>
            <tbody>
              ${data.data.filter(isDataStream).map(
                (s) => html`<tr key=${s.name} data-stream=${s.name}>
                  <td>${s.name}</td>
                  <td class="n">${num(s.messages)}</td>
                  <td class="n">${s.oldest_age_seconds === null ? 'empty' : duration(s.oldest_age_seconds)}</td>
                  <td class="n">${s.max_age_seconds === 0 ? 'kept' : duration(s.max_age_seconds)}</td>
                  <td>${s.max_age_seconds > 0 && s.oldest_age_seconds !== null ? html`<${Bar} value=${s.oldest_age_seconds / s.max_age_seconds} title=${`${Math.round((100 * s.oldest_age_seconds) / s.max_age_seconds)}% of max-age`} />` : null}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : html`<${Loading} />`}
    <//>
  </div>`;
}
