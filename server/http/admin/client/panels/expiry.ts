import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { api, type ReconcilerRun } from '../api.ts';
import { ago, duration, num, time } from '../format.ts';
import { usePoll } from '../poll.ts';
import { ErrorLine, Loading, Panel } from '../ui.ts';

const DAY_S = 86_400;

const plural = (n: number, word: string) => `${num(n)} ${word}${n === 1 ? '' : 's'}`;

/** uPlot's columns: run start (s), rows removed, messages removed; oldest first. */
function columns(runs: readonly ReconcilerRun[]): uPlot.AlignedData {
  const sorted = [...runs].sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
  return [sorted.map((r) => Date.parse(r.started_at) / 1000), sorted.map((r) => r.rows_removed), sorted.map((r) => r.messages_removed)];
}

/** Rows and messages each reconciler run removed over the last 24 h (uPlot, on a canvas). */
function RunsChart(props: { runs: readonly ReconcilerRun[]; at: number }): VNode {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  // The last 24 h, or less when the runs kept (the last 1,500, a day at the default interval) began later: a young service's runs fill the chart.
  const window24h = useRef<[number, number]>([0, 0]);
  const to = props.at / 1000;
  const oldest = props.runs.reduce((m, r) => Math.min(m, Date.parse(r.started_at) / 1000), to);
  window24h.current = [Math.max(to - DAY_S, oldest - Math.max(30, (to - oldest) * 0.05)), to];

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(320, el.clientWidth),
      height: 260,
      scales: { x: { time: true, range: () => window24h.current }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      series: [
        {},
        { label: 'rows removed', stroke: '#2563eb', fill: 'rgba(37, 99, 235, 0.10)', width: 2, points: { show: true, size: 6 } },
        { label: 'messages removed', stroke: '#d97706', width: 2, points: { show: true, size: 6 } },
      ],
      axes: [{ stroke: '#6b7280' }, { stroke: '#6b7280', label: 'per run' }],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    };
    const u = new uPlot(opts, columns(props.runs), el);
    plot.current = u;
    const resize = () => u.setSize({ width: Math.max(320, el.clientWidth), height: 260 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      u.destroy();
      plot.current = undefined;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(columns(props.runs));
  }, [props.runs]);

  return html`<div class="chart" ref=${box} data-runs=${props.runs.length}></div>`;
}

/** Expiry: what the reconciler removed, run by run, over the last day, and its last runs. */
export function Expiry(): VNode {
  const runs = usePoll(() => api.reconcilerRuns(new Date(Date.now() - DAY_S * 1000)));
  const items = runs.data?.items ?? [];
  const rows = items.reduce((n, r) => n + r.rows_removed, 0);
  const messages = items.reduce((n, r) => n + r.messages_removed, 0);
  return html`<div>
    <${Panel} title="Expiry over the last 24 h" note=${runs.data ? `${plural(items.length, 'run')} removed ${plural(rows, 'row')} and ${plural(messages, 'message')}` : null}>
      <${ErrorLine} error=${runs.error} />
      ${runs.data ? html`<${RunsChart} runs=${items} at=${runs.at ?? Date.now()} />` : html`<${Loading} />`}
      <p class="muted">Rows: projected rows whose time to live passed or whose message left its stream. Messages: broker messages of items that went before their stream’s max-age.</p>
    <//>
    <${Panel} title="Last reconciler runs">
      ${!runs.data
        ? html`<${Loading} />`
        : items.length === 0
          ? html`<p class="muted empty">No run in the last 24 h (RECONCILE_INTERVAL_SECONDS sets how often it runs).</p>`
          : html`<table class="runs">
              <thead><tr><th>started</th><th class="n">took</th><th class="n">rows removed</th><th class="n">messages removed</th><th>by</th></tr></thead>
              <tbody>
                ${items.slice(0, 20).map(
                  (r) => html`<tr key=${r.id}>
                    <td title=${time(r.started_at)}>${ago(r.started_at)}</td>
                    <td class="n">${duration(r.duration_ms / 1000)}</td>
                    <td class="n">${num(r.rows_removed)}</td>
                    <td class="n">${num(r.messages_removed)}</td>
                    <td class="muted">${r.holder}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
    <//>
  </div>`;
}
