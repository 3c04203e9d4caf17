import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { api } from '../api.ts';
import { ago, bytes, duration, num, time } from '../format.ts';
import { usePoll } from '../poll.ts';
import { ErrorLine, Loading, Panel } from '../ui.ts';

/** Streams: what each holds, for how long, on how many replicas. */
export function Streams(): VNode {
  const streams = usePoll(api.streams);
  const now = streams.at ?? Date.now();
  return html`<${Panel} title="Streams" note="JetStream: max-age is every message's time to live">
    <${ErrorLine} error=${streams.error} />
    ${streams.data
      ? html`<table class="streams">
          <thead><tr><th>stream</th><th>subjects</th><th class="n">messages</th><th class="n">bytes</th><th>first message</th><th>last message</th><th class="n">max-age</th><th class="n">replicas</th><th class="n">consumers</th></tr></thead>
          <tbody>
            ${streams.data.items.map(
              (s) => html`<tr key=${s.name} data-stream=${s.name}>
                <td>${s.name}</td>
                <td class="subjects">${s.subjects.join(' ')}</td>
                <td class="n" data-col="messages">${num(s.messages)}</td>
                <td class="n">${bytes(s.bytes)}</td>
                <td title=${time(s.first_time)}>${ago(s.first_time, now)}</td>
                <td title=${time(s.last_time)}>${ago(s.last_time, now)}</td>
                <td class="n">${s.max_age_seconds === 0 ? 'kept' : duration(s.max_age_seconds)}</td>
                <td class="n">${s.replicas}</td>
                <td class="n">${s.consumers}</td>
              </tr>`,
            )}
          </tbody>
        </table>`
      : html`<${Loading} />`}
  <//>`;
}
