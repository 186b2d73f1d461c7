/**
 * `npm test` runner: makes sure the local CA exists, then runs jest with NODE_EXTRA_CA_CERTS pointing at it, because
 * Node reads that variable only at process start and the SDK clients under test must trust the simulator's HTTPS.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureLocalCa } from '../simulator/ca';

const repoRoot = path.resolve(__dirname, '../../..');
const ca = ensureLocalCa(path.join(repoRoot, '.local-data', 'ca'));
const result = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), ...process.argv.slice(2)], {
  cwd: repoRoot,
  stdio: 'inherit',
  env: { ...process.env, NODE_EXTRA_CA_CERTS: ca.caCertPath },
});
process.exit(result.status ?? 1);
