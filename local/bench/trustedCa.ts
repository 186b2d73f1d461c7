/**
 * Benchmarks run the app in-process, and its SDK clients must trust the simulator's HTTPS; Node reads
 * NODE_EXTRA_CA_CERTS only at process start. So: return in a process that trusts the local CA, otherwise re-run the
 * calling script with it set and exit with its status.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureLocalCa } from '../simulator/ca';
import { REPO_ROOT } from '../stack';

const REEXEC_MARK = 'BENCH_TRUSTED_CA_REEXEC';

export function ensureTrustedCa(script: string): void {
  const ca = ensureLocalCa(path.join(REPO_ROOT, '.local-data', 'ca'));
  const given = process.env.NODE_EXTRA_CA_CERTS;
  if (given && path.resolve(given) === path.resolve(ca.caCertPath)) return;
  if (process.env[REEXEC_MARK]) throw new Error(`NODE_EXTRA_CA_CERTS is ${given ?? 'unset'} after re-running; expected ${ca.caCertPath}.`);
  const child = spawnSync(process.execPath, [...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: ca.caCertPath, [REEXEC_MARK]: '1' },
  });
  process.exit(child.status ?? 1);
}
