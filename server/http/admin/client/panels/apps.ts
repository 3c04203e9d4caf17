import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api, type IssuedKey } from '../api.ts';
import { ago, time } from '../format.ts';
import { usePoll } from '../poll.ts';
import { ErrorLine, Loading, Panel } from '../ui.ts';

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * A key just issued: shown this once, with a copy button. It lives in this component's state
 * only (never stored, never in a URL): dismissing it or reloading the page loses it for good.
 */
function KeyOnce(props: { issued: IssuedKey; rotated: boolean; onDone: () => void }): VNode {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.issued.key);
    } catch {
      // No clipboard API (a page not served over HTTPS or loopback): select it for Ctrl+C.
      field.current?.select();
      document.execCommand('copy');
    }
    setCopied(true);
  };
  return html`<div class="key-once" role="status">
    <p><strong>${props.rotated ? 'New key' : 'Key'} for ${props.issued.app_id}</strong>: copy it now. It is shown this once; Mayfly keeps only its hash.</p>
    <div class="key-row">
      <input ref=${field} class="key" readonly value=${props.issued.key} aria-label="app key" onFocus=${() => field.current?.select()} />
      <button onClick=${() => void copy()}>${copied ? 'Copied' : 'Copy'}</button>
      <button class="secondary" onClick=${props.onDone}>Done</button>
    </div>
    ${props.rotated ? html`<p class="muted">The old key stopped working.</p>` : null}
  </div>`;
}

/** The confirmation of a removal: the operator types the app's id to erase it. */
function ConfirmRemove(props: { appId: string; onCancel: () => void; onRemoved: () => void }): VNode {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const remove = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api.remove(props.appId);
      props.onRemoved();
    } catch (err) {
      setError(message(err));
      setBusy(false);
    }
  };
  return html`<form class="confirm" onSubmit=${(e: Event) => void remove(e)}>
    <p>Remove <strong>${props.appId}</strong> and erase all its data (its messages in every stream, its rows, its stored objects)? Its key stops working at once. This can not be undone.</p>
    <label>Type <code>${props.appId}</code> to confirm <input value=${typed} onInput=${(e: Event) => setTyped((e.target as HTMLInputElement).value)} autocomplete="off" aria-label="app id to confirm" /></label>
    <button type="submit" class="danger" disabled=${busy || typed !== props.appId}>Remove ${props.appId} and its data</button>
    <button type="button" class="secondary" onClick=${props.onCancel}>Cancel</button>
    <${ErrorLine} error=${error} />
  </form>`;
}

/** Apps: the registry; register (key shown once), rotate a key, remove an app with its data. */
export function Apps(): VNode {
  const apps = usePoll(api.apps);
  const [appId, setAppId] = useState('');
  const [issued, setIssued] = useState<{ key: IssuedKey; rotated: boolean } | undefined>(undefined);
  const [removing, setRemoving] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const register = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setIssued({ key: await api.register(appId.trim()), rotated: false });
      setAppId('');
      apps.reload();
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };
  const rotate = async (id: string) => {
    if (!window.confirm(`Give ${id} a new key? Its current key stops working at once.`)) return;
    setError(undefined);
    try {
      setIssued({ key: await api.rotate(id), rotated: true });
    } catch (err) {
      setError(message(err));
    }
  };

  return html`<div>
    <${Panel} title="Register an app">
      <form class="register" onSubmit=${(e: Event) => void register(e)}>
        <label for="app-id">App id</label>
        <input id="app-id" value=${appId} placeholder="com.example.app" required maxlength="64" autocomplete="off" onInput=${(e: Event) => setAppId((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled=${busy}>Register</button>
      </form>
      <${ErrorLine} error=${error} />
      ${issued ? html`<${KeyOnce} issued=${issued.key} rotated=${issued.rotated} onDone=${() => setIssued(undefined)} />` : null}
    <//>
    <${Panel} title="Apps" note=${apps.data ? `${apps.data.items.length} registered` : null}>
      <${ErrorLine} error=${apps.error} />
      ${removing ? html`<${ConfirmRemove} appId=${removing} onCancel=${() => setRemoving(undefined)} onRemoved=${() => { setRemoving(undefined); apps.reload(); }} />` : null}
      ${!apps.data
        ? html`<${Loading} />`
        : apps.data.items.length === 0
          ? html`<p class="muted empty">No app is registered yet.</p>`
          : html`<table class="apps">
              <thead><tr><th>app</th><th>registered</th><th>bundle ids</th><th>own rate limits</th><th></th></tr></thead>
              <tbody>
                ${apps.data.items.map(
                  (a) => html`<tr key=${a.app_id} data-app=${a.app_id}>
                    <td>${a.app_id}</td>
                    <td title=${time(a.registered_at)}>${ago(a.registered_at)}</td>
                    <td>${a.bundle_ids.length ? a.bundle_ids.join(', ') : html`<span class="muted">none</span>`}</td>
                    <td>${a.rate_limits ? Object.entries(a.rate_limits).map(([p, r]) => `${p} ${r}`).join(', ') : html`<span class="muted">defaults</span>`}</td>
                    <td class="actions">
                      <button class="secondary" onClick=${() => void rotate(a.app_id)}>Rotate key</button>
                      <button class="danger" onClick=${() => setRemoving(a.app_id)}>Remove…</button>
                    </td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
    <//>
  </div>`;
}
