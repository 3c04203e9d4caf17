// The ops CLI: `npm run ops -- <command>` (or `node --import tsx ops/main.ts <command>`), with the
// service's configuration (NATS_URL, DATABASE_URL, ...). `--help` on every command.
import { Command } from 'commander';
import { ConfigError } from '../server/platform/config.ts';
import { catalog } from '../server/modules/index.ts';
import { consumersCommand } from './commands/consumers.ts';
import { parkedDropCommand, parkedListCommand, parkedRetryCommand } from './commands/parked.ts';
import { purgeTenantCommand } from './commands/purge-tenant.ts';
import { reconcileCommand } from './commands/reconcile.ts';
import { replayCommand } from './commands/replay.ts';
import { s3LifecycleCommand } from './commands/s3-lifecycle.ts';
import { streamsCommand } from './commands/streams.ts';
import { tailCommand } from './commands/tail.ts';
import { tenantsAddCommand, tenantsListCommand, tenantsRemoveCommand, tenantsRotateCommand, tenantsUpdateCommand } from './commands/tenants.ts';
import { openOps, type Ops } from './context.ts';
import { OpsError } from './errors.ts';

/** Ctrl-C: the first stops the command cleanly (a replay after its batch in flight), a second exits at once. */
const interrupt = new AbortController();
const onSignal = () => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

/** Runs a command with the service's configuration, closes what it opened, prints failures as one line. */
function run<A extends unknown[]>(command: (ops: Ops, ...args: A) => Promise<void>) {
  return async (...args: A) => {
    let ops: Ops | undefined;
    try {
      ops = openOps();
      await command(ops, ...args);
    } catch (err) {
      const known = err instanceof OpsError || err instanceof ConfigError;
      const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
      console.error(`ops: ${message}`);
      if (!known && process.env.OPS_DEBUG) console.error(err);
      process.exitCode = 1;
    } finally {
      await ops?.close();
      // Whatever a library left running must not keep a finished command alive.
      setTimeout(() => process.exit(), 5_000).unref();
    }
  };
}

const json = ['--json', 'print JSON (for scripts) instead of a table'] as const;

const program = new Command('npm run ops --')
  .description('Mayfly operations: inspect streams and consumers, rebuild projections, manage apps. Uses the service configuration (NATS_URL, DATABASE_URL, ...).')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: false });

program
  .command('streams')
  .description('every stream: subjects, retention (max-age), messages, bytes, first and last message')
  .option(...json)
  .action(run((ops, o: { json?: boolean }) => streamsCommand(ops, o)));

program
  .command('consumers')
  .description('every durable consumer: pending, ack pending, redelivered, and for projections their checkpoint and lag (messages and seconds)')
  .option(...json)
  .action(run((ops, o: { json?: boolean }) => consumersCommand(ops, o)));

program
  .command('replay')
  .description(
    'rebuild a projection from its stream while it keeps serving: built in a shadow table, then swapped in atomically. ' +
      'Resumable: run it again after a crash or Ctrl-C. Applies events to the projection only: nothing is sent, no task runs again.',
  )
  .argument('<projection>', catalog.projections.map((p) => p.name).join(', '))
  .option('--tenant <app_id>', "rebuild only this app's rows (its subjects only; its rows replaced in one transaction)")
  .option('--from-seq <n>', 'start at this stream sequence (what earlier events made is not rebuilt)')
  .option('--since <time>', 'start at the first message at or after this time (ISO 8601)')
  .option('--dry-run', 'read what would be applied and report it; write nothing')
  .option('--abandon', 'drop an unfinished replay of this projection and its shadow table')
  .option('--batch-size <n>', 'events per transaction', '2000')
  .option(...json)
  .action(run((ops, name: string, o: Parameters<typeof replayCommand>[2]) => replayCommand(ops, name, o, interrupt.signal)));

program
  .command('tail')
  .description('follow new messages live, decoded and pretty-printed (addresses, tokens and key hashes redacted), until Ctrl-C')
  .argument('<subject-filter>', 'e.g. "drafts.>" or "bots.com~example~app.>" (an app id in a subject has its dots written as ~)')
  .option('--json', 'one JSON line per message')
  .action(run((ops, filter: string, o: { json?: boolean }) => tailCommand(ops, filter, o, interrupt.signal)));

program
  .command('reconcile')
  .description('one reconciler run now (expired rows, rows whose messages left the broker, queued purges), with its report')
  .option(...json)
  .action(run((ops, o: { json?: boolean }) => reconcileCommand(ops, o)));

program
  .command('purge-tenant')
  .description('erase every trace of an app: its registration, its messages in every stream, its rows in every table, its objects')
  .argument('<app_id>')
  .option('--yes', 'confirm: this can not be undone')
  .option(...json)
  .action(run((ops, id: string, o: { yes?: boolean; json?: boolean }) => purgeTenantCommand(ops, id, o)));

const parked = program.command('parked').description('events a projection could not apply, parked and skipped so that the events after them go on');
parked
  .command('list')
  .description('every parked event: projection, stream sequence, app, attempts, when and why it failed (never the event itself)')
  .option('--projection <name>', 'only this projection')
  .option(...json)
  .action(run((ops, o: { projection?: string; json?: boolean }) => parkedListCommand(ops, o)));
parked
  .command('retry')
  .description('apply a parked event again, once its cause is fixed (it stays parked, one attempt more, if it still fails)')
  .argument('<projection>')
  .argument('<seq>', 'its stream sequence')
  .option(...json)
  .action(run((ops, projection: string, seq: string, o: { json?: boolean }) => parkedRetryCommand(ops, projection, seq, o)));
parked
  .command('drop')
  .description('forget a parked event: it stays unapplied')
  .argument('<projection>')
  .argument('<seq>', 'its stream sequence')
  .option(...json)
  .action(run((ops, projection: string, seq: string, o: { json?: boolean }) => parkedDropCommand(ops, projection, seq, o)));

const tenants = program.command('tenants').description('registered apps (TENANCY=registered)');
tenants
  .command('list')
  .description('registered apps (never their keys)')
  .option(...json)
  .action(run((ops, o: { json?: boolean }) => tenantsListCommand(ops, o)));
tenants
  .command('add')
  .description('register an app and print its key (shown once)')
  .argument('<app_id>')
  .option('--rate-limits <json>', 'its own limits, e.g. \'{"bots.execute": "60/min"}\'')
  .option('--bundle-ids <ids>', 'the Apple bundle ids it owns, comma-separated (APNs topics, receipts it verifies)')
  .option(...json)
  .action(run((ops, id: string, o: { rateLimits?: string; bundleIds?: string; json?: boolean }) => tenantsAddCommand(ops, id, o)));
tenants
  .command('update')
  .description("change an app's rate limits or bundle ids (what is given replaces; the rest stays)")
  .argument('<app_id>')
  .option('--rate-limits <json>', 'its own limits; \'{}\' returns it to the defaults')
  .option('--bundle-ids <ids>', "the Apple bundle ids it owns, comma-separated; '' removes them all")
  .option(...json)
  .action(run((ops, id: string, o: { rateLimits?: string; bundleIds?: string; json?: boolean }) => tenantsUpdateCommand(ops, id, o)));
tenants
  .command('rotate')
  .description('give an app a new key (printed once); the old one stops working at once')
  .argument('<app_id>')
  .option(...json)
  .action(run((ops, id: string, o: { json?: boolean }) => tenantsRotateCommand(ops, id, o)));
tenants
  .command('remove')
  .description('unregister an app (its key stops working); its data stays until purge-tenant')
  .argument('<app_id>')
  .option(...json)
  .action(run((ops, id: string, o: { json?: boolean }) => tenantsRemoveCommand(ops, id, o)));

program
  .command('s3-lifecycle')
  .description("apply the bucket's expiry rule for uploaded objects (S3_* settings)")
  .option(...json)
  .action(run((ops, o: { json?: boolean }) => s3LifecycleCommand(ops, o)));

await program.parseAsync(process.argv);
