// The consumers process of a deployment: projectors (and later workers and the reconciler),
// no HTTP. Same configuration as the server.
process.env.ROLE = 'consumers';
await import('../server/main.ts');
