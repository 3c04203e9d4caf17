// `npm start`: the service on its embedded defaults (ROLE=all), or one role of a deployment.
import { runMayfly } from './runtime/run.ts';

await runMayfly();
