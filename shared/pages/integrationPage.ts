/**
 * The integration page a Global Admin reaches from an email link: the account, its state and the one next action.
 * "Authorize" is a POST form with the link and a CSRF token; while discovery or a sync run runs the page refreshes
 * itself, and the last finished sync run is told in words, with what to do next when it did not succeed.
 */
import { Account } from '../domain/account';
import { SYNC_STAGES, SyncRun, SyncStage } from '../domain/syncRun';
import { html, SafeHtml } from './html';
import { layout, PageBrand } from './layout';
import { SyncPreviewSummary, syncPreviewSentence } from './syncPreviewSentence';

/** The part of a discovery's status the page shows. */
export interface PageDiscovery {
  status: 'running' | 'succeeded' | 'failed';
  pagesRead: number;
  usersSeen: number;
  finishedAt: string | null;
  counts: { users: number; eligible: number; callingPlan: number; resourceAccounts: number; gone: number } | null;
  error: { code: string; message: string } | null;
  tenant?: { displayName: string | null; defaultDomain: string | null } | null;
}

export interface IntegrationPageModel {
  account: Account;
  discovery: PageDiscovery | undefined;
  link: string;
  csrfToken: string;
  /** Mapping changes saved by the account's admins, waiting for the Global Admin's sync. */
  queuedChanges: number;
  /** Opened from a sync link: the sync is the page's first action. */
  readyToSync?: boolean;
  /** The sync run in progress, if any: no sync can start while it runs. */
  runningRun?: SyncRun;
  /** The newest finished sync run, if any. */
  lastRun?: SyncRun;
  /** The reader turned the self-refresh off (WCAG 2.2.1: a timed refresh the user can turn off). */
  refreshOff?: boolean;
  /** What the next sync would change (the preview); absent when it could not be read: the page goes without it. */
  syncPreview?: SyncPreviewSummary;
}

/** Each stage in the words of the person who authorised the run. */
const STAGE_WORDS: Record<SyncStage, string> = {
  preflight: 'Checking access',
  discovery: 'Reading your Teams users',
  tenantConfiguration: 'Preparing the calling settings in Teams',
  plan: 'Working out the changes',
  apply: 'Applying changes',
  finish: 'Finishing',
};

/** Times in one readable, unambiguous form (the page has no idea of the reader's time zone). */
function when(iso: string): SafeHtml {
  const text = new Date(iso).toLocaleString('en-GB', { timeZone: 'UTC', dateStyle: 'long', timeStyle: 'short' });
  return html`<time datetime="${iso}">${text} UTC</time>`;
}

function countsList(run: SyncRun): SafeHtml {
  const c = run.counts;
  return html`<dl>
    <dt>Changes planned</dt>
    <dd>${c.planned}</dd>
    <dt>Applied</dt>
    <dd>${c.applied}</dd>
    <dt>Refused by Microsoft</dt>
    <dd>${c.failed}</dd>
    <dt>Left for the next sync</dt>
    <dd>${c.left}</dd>
  </dl>`;
}

function runningView(run: SyncRun): View {
  const step = SYNC_STAGES.indexOf(run.stage) + 1;
  return {
    label: 'Sync running',
    tone: '',
    explanation: html`<p>
        A sync is running: <strong>${STAGE_WORDS[run.stage]}</strong> (step ${step} of ${SYNC_STAGES.length}). It started
        ${when(run.startedAt)}. This page refreshes itself; you can also close it, the sync goes on without it.
      </p>
      ${countsList(run)}`,
    action: null,
    sync: null,
    refresh: true,
  };
}

/** The last finished run in words: what happened and, unless it succeeded, what to do next. */
function lastRunSection(run: SyncRun, brand: PageBrand): SafeHtml {
  const finished = run.finishedAt ? when(run.finishedAt) : '';
  const c = run.counts;
  const reason = run.error ? html` (reason: ${run.error.code})` : '';
  const support = html`<p>If it fails again, contact ${brand.supportContact} and give the run id <code>${run.runId}</code>.</p>`;
  switch (run.status) {
    case 'Succeeded':
      return html`<h2>Last sync</h2>
        <p><span class="status good">Succeeded</span> ${finished}</p>
        <p>
          Teams is up to date:
          ${c.applied === 0 ? 'nothing needed to change.' : `${c.applied} ${c.applied === 1 ? 'change was' : 'changes were'} applied.`}
        </p>`;
    case 'PartiallySucceeded':
      return html`<h2>Last sync</h2>
        <p><span class="status bad">Partly succeeded</span> ${finished}</p>
        <p class="error">
          ${c.applied} of ${c.planned} changes were applied${c.failed > 0 ? `; Microsoft Teams refused ${c.failed}` : ''}. Some users could
          not be synced (a number held by someone else, a Calling Plan, a user gone): your provider's portal shows each one and
          why${reason}.
        </p>
        <p>Once the cause is fixed, run the sync again: only what is missing is sent.</p>
        ${support}`;
    case 'Failed':
      return html`<h2>Last sync</h2>
        <p><span class="status bad">Failed</span> ${finished}</p>
        <p class="error">${run.error?.message ?? 'The sync did not complete.'}${reason}</p>
        <p>Nothing more was changed in Teams. Run the sync again.</p>
        ${support}`;
    case 'Expired':
      return html`<h2>Last sync</h2>
        <p><span class="status bad">Stopped: time ran out</span> ${finished}</p>
        <p class="error">
          The sign-in's time ran out before every change was applied: ${c.applied} applied (they stay applied), ${c.left} left.
        </p>
        <p>Sign in again to finish: the next sync applies only what is left.</p>`;
    default:
      return html``;
  }
}

type Tone = 'good' | 'bad' | '';
interface View {
  label: string;
  tone: Tone;
  explanation: SafeHtml;
  action: 'authorize' | 'retry' | 'refresh' | null;
  /** The sync button's label, when a sync can be started. */
  sync: string | null;
  refresh: boolean;
}

/** Failures the Global Admin fixes in Microsoft (consent, permissions) before authorizing again. */
const PERMISSION_CODES = new Set(['DISCOVERY_NOT_CONSENTED', 'DISCOVERY_FORBIDDEN']);

function view({ account, discovery, queuedChanges, runningRun }: IntegrationPageModel): View {
  // A running sync comes first: it may be the final sync of a removal, and it reads the users itself.
  if (runningRun) return runningView(runningRun);
  if (account.state === 'removalPending') {
    return {
      label: 'Removal pending',
      tone: 'bad',
      explanation: html`<p>
        The integration is being removed. A final sync removes the phone numbers and policies it set in Microsoft Teams. Press
        <strong>Final sync</strong> and sign in with your Microsoft Global Administrator account to run it.
      </p>`,
      action: null,
      sync: account.tenantBound ? 'Final sync' : null,
      refresh: false,
    };
  }
  if (discovery?.status === 'running') {
    return {
      label: 'Reading your Teams users',
      tone: '',
      explanation: html`<p>
        Access is granted. We are reading the users of your Microsoft tenant: ${discovery.usersSeen} users so far. This page refreshes
        itself.
      </p>`,
      action: null,
      sync: null,
      refresh: true,
    };
  }
  if (discovery?.status === 'failed') {
    return {
      label: 'Reading your Teams users failed',
      tone: 'bad',
      explanation: html`<p class="error">
          ${discovery.error?.message ?? 'Microsoft did not answer as expected.'} (reason: ${discovery.error?.code ?? 'unknown'})
        </p>
        <p>
          ${PERMISSION_CODES.has(discovery.error?.code ?? '') ? 'Check that the permissions were granted for your organization, then authorize again.' : 'This attempt has ended. Authorize again to read your Teams users anew.'}
        </p>`,
      action: 'retry',
      sync: null,
      refresh: false,
    };
  }
  if (account.state === 'active') {
    const c = discovery?.counts;
    return {
      label: queuedChanges > 0 ? 'Sync needed' : 'Active',
      tone: queuedChanges > 0 ? '' : 'good',
      explanation:
        queuedChanges > 0
          ? html`<p>
              <strong>${queuedChanges}</strong> mapping ${queuedChanges === 1 ? 'change is' : 'changes are'} queued. They reach Microsoft
              Teams when you, the Global Admin, run a sync.
            </p>`
          : c
            ? html`<p>
                  The integration is active. Your tenant has <strong>${c.eligible}</strong> users who can receive a number from us (Teams
                  Phone without a Calling Plan), ${c.callingPlan} users with a Microsoft Calling Plan and ${c.resourceAccounts} resource
                  accounts (auto attendants and call queues).
                </p>
                <p>
                  Your administrators can now map voice users to these Teams users in the ${account.name} portal. Added people in Teams?
                  Sign in again to read your Teams users anew.
                </p>`
            : html`<p>The integration is active.</p>`,
      action: 'refresh',
      sync: queuedChanges > 0 ? 'Sync now – changes queued' : 'Sync now',
      refresh: false,
    };
  }
  return {
    label: 'Awaiting activation',
    tone: '',
    explanation: html`<p>To connect ${account.name} to Microsoft Teams:</p>
      <ol>
        <li>
          Press <strong>Authorize</strong>. Microsoft asks you to grant the integration read access to your organization's users, licences
          and Teams settings. Accept for your organization.
        </li>
        <li>Sign in with your Microsoft account. It must be a Global Administrator of your tenant.</li>
        <li>We then read your Teams users. Nothing is changed in Teams until you run a sync.</li>
      </ol>`,
    action: 'authorize',
    sync: null,
    refresh: false,
  };
}

const BUTTON = { authorize: 'Authorize', retry: 'Authorize again', refresh: 'Read Teams users again' } as const;

/** The tenant by its name and default domain once discovery has read them; its id alone says nothing to a person. */
function tenantLine(account: Account, discovery: PageDiscovery | undefined): SafeHtml | string {
  if (!account.tenantId) return 'not yet linked';
  if (!account.tenantBound) return `${account.tenantId} (not yet confirmed)`;
  const named = discovery?.tenant;
  if (!named?.displayName && !named?.defaultDomain) return account.tenantId;
  const label = [named.displayName, named.defaultDomain ? `(${named.defaultDomain})` : null].filter(Boolean).join(' ');
  return html`${label}<br /><small>Tenant id ${account.tenantId}</small>`;
}

/** The switch for the self-refresh: the same page without it (or with it again). */
function refreshControl(model: IntegrationPageModel): SafeHtml {
  const page = `/api/integration?link=${encodeURIComponent(model.link)}`;
  return model.refreshOff
    ? html`<p><a href="${page}">Refresh this page automatically again</a></p>`
    : html`<p><a href="${page}&amp;refresh=off">Stop refreshing this page</a></p>`;
}

export function renderIntegrationPage(brand: PageBrand, model: IntegrationPageModel): string {
  const v = view(model);
  const { account, discovery } = model;
  const form = v.action
    ? html`<form method="post" action="/api/integration/authorize">
        <input type="hidden" name="link" value="${model.link}" />
        <input type="hidden" name="csrf" value="${model.csrfToken}" />
        <button type="submit">${BUTTON[v.action]}</button>
      </form>`
    : '';
  // The sync signs the Global Admin in at Microsoft for this one run; its link and CSRF token are the page's own.
  const syncForm = v.sync
    ? html`<form method="post" action="/api/integration/sync">
        <input type="hidden" name="link" value="${model.link}" />
        <input type="hidden" name="csrf" value="${model.csrfToken}" />
        <button type="submit">${v.sync}</button>
      </form>`
    : '';
  const syncNote =
    v.sync && model.readyToSync
      ? html`<p>
          Press <strong>${v.sync}</strong> and sign in with your Microsoft Global Administrator account: the sign-in authorises this one
          sync.
        </p>`
      : '';
  // Said before the sign-in, so the Global Admin knows what they authorise.
  const preview = v.sync && model.syncPreview ? html`<p class="sync-preview">${syncPreviewSentence(model.syncPreview)}</p>` : '';
  const actions = model.readyToSync ? html`${syncNote} ${preview} ${syncForm} ${form}` : html`${form} ${preview} ${syncForm}`;
  const body = html`<h1>Microsoft Teams integration for ${account.name}</h1>
    <p>Status: <span class="status ${v.tone}" role="status">${v.label}</span></p>
    ${v.explanation} ${v.refresh ? refreshControl(model) : ''} ${actions}
    ${model.lastRun && !model.runningRun ? lastRunSection(model.lastRun, brand) : ''}
    <h2>Details</h2>
    <dl>
      <dt>Account</dt>
      <dd>${account.name}</dd>
      <dt>Global Admin</dt>
      <dd>${account.globalAdmin.displayName} (${account.globalAdmin.email})</dd>
      <dt>Microsoft tenant</dt>
      <dd>${tenantLine(account, discovery)}</dd>
      <dt>Integration licences</dt>
      <dd>${account.licenseCount}</dd>
    </dl>`;
  return layout(brand, `Teams integration for ${account.name}`, body, { refreshSeconds: v.refresh && !model.refreshOff ? 5 : undefined });
}
