/**
 * Use case: the portal asks for a sync on behalf of its user (POST /accounts/{id}/sync). Only the account's Global
 * Admin gets one: a short-lived link to OUR integration page, ready to sync. The page binds the browser to the OAuth
 * flow before it goes on to Microsoft (a URL straight to Microsoft could not be tied to a browser).
 */
import { IntegrationLinkDeps, syncLink } from '../accounts/integrationLink';
import { loadAccount } from '../accounts/loadAccount';
import { AccountStore } from '../accounts/ports';
import { fail, ok, Result } from '../domain/errors';
import { canSync, isSyncAdmin } from '../domain/syncStart';
import { SyncRunStore } from './ports';

export interface RequestSyncDeps extends IntegrationLinkDeps {
  store: AccountStore;
  syncRuns: Pick<SyncRunStore, 'running'>;
  syncLinkTtlMinutes: number;
  now: () => Date;
}

export interface SyncLink {
  url: string;
  expiresAt: string;
}

export async function requestSync(deps: RequestSyncDeps, accountId: string, actorId: string): Promise<Result<SyncLink>> {
  const loaded = await loadAccount(deps.store, accountId);
  if (!loaded.ok) return loaded;
  const { account } = loaded.value;
  const admin = isSyncAdmin(account, actorId);
  if (!admin.ok) return admin;
  const allowed = canSync(account);
  if (!allowed.ok) return allowed;
  // One run per account: while one runs, no second start is handed out (the sign-in callback checks again).
  const running = await deps.syncRuns.running(accountId);
  if (running) return fail('SYNC_RUNNING', 'A sync of this account is running; wait for it to finish.', { runId: running.runId });
  const now = deps.now();
  const ttlSeconds = deps.syncLinkTtlMinutes * 60;
  const url = await syncLink(deps, account, now, { ttlSeconds, via: 'portal' });
  return ok({ url, expiresAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + ttlSeconds * 1000).toISOString() });
}
