/**
 * Use case: Microsoft redirects back from the sync's delegated sign-in. The double authentication of activation,
 * again: the state (single-use, this browser, purpose `sync`), then the ID token's tenant = the bound tenant, a Global
 * Administrator, the bound GA. Only then is the Teams admin API token asked for (from the sign-in's refresh token,
 * held in memory only and dropped before the run starts) and the run started with both tokens. Every refusal starts
 * nothing and keeps no token.
 */
import { backTo, CallbackResult, consumeState, refused, signInNotCompleted } from '../activation/callbacks';
import { ActivationDeps } from '../activation/deps';
import { DelegatedToken } from '../activation/ports';
import { SignInCallback } from '../activation/completeSignIn';
import { integrationLink } from '../accounts/integrationLink';
import { loadAccount } from '../accounts/loadAccount';
import { checkSignIn } from '../domain/activation';
import { Result } from '../domain/errors';
import { canSync } from '../domain/syncStart';
import { StartSyncRequest } from './startSync';

export type StartRun = (request: StartSyncRequest) => Promise<Result<{ runId: string }>>;

export async function completeSyncSignIn(deps: ActivationDeps, start: StartRun, cb: SignInCallback): Promise<CallbackResult> {
  const session = await consumeState(deps, cb.state, 'sync', cb.flowCookie);
  if (!session.ok) return refused(session.error);
  const back = await backTo(deps, session.value);
  const code = cb.code;
  if (cb.error || !code) return signInNotCompleted(cb, back);
  const { codeVerifier, nonce, accountId, globalAdminId } = session.value;
  if (!codeVerifier || !nonce) return refused({ code: 'STATE_UNKNOWN', message: 'The sign-in request could not be read back.' }, back);
  // Checked before the code is redeemed: no token is asked for an account that cannot sync any more.
  const before = await loadAccount(deps.store, accountId);
  if (!before.ok) return refused({ code: 'LINK_INVALID', message: 'The account no longer exists.' });
  if (before.value.account.globalAdmin.portalUserId !== globalAdminId) {
    return refused({ code: 'LINK_SUPERSEDED', message: 'The account has a new Global Admin since this sign-in started.' });
  }
  const allowedBefore = canSync(before.value.account);
  if (!allowedBefore.ok) return refused(allowedBefore.error, back);

  const signIn = await deps.microsoft.completeSyncSignIn({ code, codeVerifier, nonce });
  if (!signIn.ok) return refused(signIn.error, back);
  let tokens: DelegatedToken[];
  try {
    // The account is read again: it may have changed during the round trip.
    const loaded = await loadAccount(deps.store, accountId);
    if (!loaded.ok) return refused({ code: 'LINK_INVALID', message: 'The account no longer exists.' });
    const { account } = loaded.value;
    if (account.globalAdmin.portalUserId !== globalAdminId) {
      return refused({ code: 'LINK_SUPERSEDED', message: 'The account has a new Global Admin since this sign-in started.' });
    }
    const allowed = canSync(account);
    if (!allowed.ok) return refused(allowed.error, back);
    const checked = checkSignIn(account, signIn.value.identity);
    if (!checked.ok) return refused(checked.error, back);
    const teams = await signIn.value.teamsAdmin();
    if (!teams.ok) return refused(teams.error, back);
    tokens = [signIn.value.graph, teams.value];
  } finally {
    await signIn.value.close();
  }

  const started = await start({ accountId, trigger: session.value.trigger ?? 'page', startedBy: globalAdminId, tokens });
  if (!started.ok) {
    // Only the code and the run id go on: whatever else the start said may quote its input.
    const { code, message } = started.error;
    const runId = started.error.details?.runId;
    return refused({ code, message, ...(typeof runId === 'string' ? { details: { runId } } : {}) }, back);
  }
  return { ok: true, value: back ?? (await integrationLink(deps, before.value.account, deps.now())) };
}
