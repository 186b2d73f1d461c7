/**
 * Runs the local Functions host for the built app in this process (the app needs NODE_EXTRA_CA_CERTS from process
 * start, so `npm start` launches this file as a child with its settings in the environment).
 */
import path from 'node:path';
import { startHost } from '../host/host';

async function main(): Promise<void> {
  const appRoot = path.resolve(__dirname, '../../..');
  const host = await startHost({
    appRoot,
    port: Number(process.env.FUNCTIONS_HTTP_PORT ?? 7071),
    functionKey: process.env.LOCAL_FUNCTION_KEY ?? 'local-function-key',
    masterKey: process.env.LOCAL_MASTER_KEY ?? 'local-master-key',
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void host.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // The parent talks to us over IPC; when it goes away, so do we.
  process.on('disconnect', stop);
  process.send?.({ ready: true, url: host.url });
}

main().catch((err: Error) => {
  console.error(`The local Functions host could not start: ${err.message}`);
  process.exit(1);
});
