// The consumers process of a deployment: projectors, workers and leader jobs, no HTTP. Same
// configuration as the server.
import { runMayfly } from '../server/runtime/run.ts';

await runMayfly('consumers');
