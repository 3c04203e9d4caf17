// `npm run prepare` (run by `npm ci` and `npm install`): makes the empty PGlite cluster a new
// DATA_DIR starts from (server/platform/db/pglite.ts), so a first `npm start` copies it instead
// of running initdb in WebAssembly (2-6 s here).
import { makePgliteTemplate, pgliteTemplateDir } from '../server/platform/db/pglite.ts';

const made = await makePgliteTemplate();
console.log(`${made ? 'made' : 'kept'} the PGlite template ${pgliteTemplateDir()}`);
