// The operator's dashboard in the browser: one page, a panel per hash (#overview, #streams,
// ...), every figure read from the admin procedures with the session cookie and refreshed
// every few seconds. Bundled by esbuild with Preact, htm and uPlot (server/http/admin/assets.ts).
import { html, render } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Apps } from './panels/apps.ts';
import { Expiry } from './panels/expiry.ts';
import { Overview } from './panels/overview.ts';
import { Projections } from './panels/projections.ts';
import { Replays } from './panels/replays.ts';
import { Streams } from './panels/streams.ts';

const PAGES = [
  { id: 'overview', title: 'Overview', view: Overview },
  { id: 'streams', title: 'Streams', view: Streams },
  { id: 'projections', title: 'Projections', view: Projections },
  { id: 'expiry', title: 'Expiry', view: Expiry },
  { id: 'apps', title: 'Apps', view: Apps },
  { id: 'replays', title: 'Replays', view: Replays },
] as const;

const pageOf = (hash: string) => PAGES.find((p) => `#${p.id}` === hash) ?? PAGES[0];

function App(): VNode {
  const [page, setPage] = useState(() => pageOf(window.location.hash));
  useEffect(() => {
    const onHash = () => setPage(pageOf(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.title = `Mayfly · ${page.title}`;
  }, [page]);
  const View = page.view;
  return html`<div class="shell">
    <header class="top">
      <span class="logo">Mayfly</span>
      <nav>
        ${PAGES.map((p) => html`<a key=${p.id} href=${`#${p.id}`} class=${p.id === page.id ? 'active' : ''} aria-current=${p.id === page.id ? 'page' : undefined}>${p.title}</a>`)}
      </nav>
      <form method="post" action="admin/logout" class="signout"><button type="submit" class="secondary">Sign out</button></form>
    </header>
    <main data-page=${page.id}><${View} key=${page.id} /></main>
  </div>`;
}

const root = document.getElementById('app');
if (root) {
  root.replaceChildren();
  render(html`<${App} />`, root);
}
