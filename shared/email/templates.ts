/**
 * One template per notification. Data comes in typed; the provider's name, support contact and links come from
 * configuration (brand-neutral product). Reminder templates (sync required) slot in the same way.
 */
import { render, RenderedEmail } from './render';

export interface Brand {
  providerName: string;
  supportContact: string;
  portalUrl: string;
}

interface Recipient {
  displayName: string;
}

export type EmailData =
  | { template: 'activateIntegration'; to: Recipient; accountName: string; integrationLink: string }
  | { template: 'youAreGlobalAdmin'; to: Recipient; accountName: string; integrationLink: string }
  | { template: 'noLongerGlobalAdmin'; to: Recipient; accountName: string }
  | { template: 'licenseCountChanged'; to: Recipient; accountName: string; previous: number; current: number }
  | { template: 'integrationRemoved'; to: Recipient; accountName: string; finalSyncNeeded: boolean; integrationLink: string }
  | {
      template: 'syncFailed';
      to: Recipient;
      accountName: string;
      runId: string;
      /** Failed: the run stopped on an error; Expired: the sign-in's time ran out with changes left. */
      status: 'Failed' | 'Expired';
      reason: { code: string; message: string } | null;
      applied: number;
      left: number;
      syncLink: string;
    };

export type TemplateName = EmailData['template'];

function footer(brand: Brand, accountName: string): string {
  return `You receive this email because you look after the Microsoft Teams integration of ${accountName} with ${brand.providerName}. Questions? Contact ${brand.supportContact}.`;
}

export function renderEmail(data: EmailData, brand: Brand): RenderedEmail {
  const hello = `Hello ${data.to.displayName},`;
  const foot = footer(brand, data.accountName);
  switch (data.template) {
    case 'activateIntegration':
      return render(
        `Activate the Microsoft Teams integration for ${data.accountName}`,
        hello,
        [
          {
            kind: 'paragraph',
            text: `${brand.providerName} has turned on Microsoft Teams calling for ${data.accountName}, and you are the person who activates and syncs it.`,
          },
          { kind: 'paragraph', text: 'To activate it:' },
          {
            kind: 'steps',
            items: [
              'Open the integration page with the button below.',
              'Select "Authorize" and sign in with a Microsoft 365 account that is a Global Administrator of your organisation.',
              'Grant the requested permissions on behalf of your organisation.',
              'Wait a few minutes while your Teams users are read; they then appear in the voice portal for mapping.',
            ],
          },
          { kind: 'button', label: 'Open the integration page', href: data.integrationLink },
          {
            kind: 'paragraph',
            text: `Next, an administrator maps voice users to Teams users in the voice portal (${brand.portalUrl}), and you run a sync to apply the changes in Teams.`,
          },
        ],
        foot,
      );
    case 'youAreGlobalAdmin':
      return render(
        `You are now the Global Admin of the Teams integration for ${data.accountName}`,
        hello,
        [
          { kind: 'paragraph', text: `You have been made the Global Admin of the Microsoft Teams integration for ${data.accountName}.` },
          {
            kind: 'paragraph',
            text: 'Changes to the user mapping are not applied to Teams on their own: you apply them by running a sync, which needs your Microsoft 365 Global Administrator sign-in. We will email you whenever a sync is needed.',
          },
          { kind: 'button', label: 'Open the integration page', href: data.integrationLink },
          { kind: 'paragraph', text: `If you are not a Global Administrator in Microsoft 365, please contact ${brand.supportContact}.` },
        ],
        foot,
      );
    case 'noLongerGlobalAdmin':
      return render(
        `You are no longer the Global Admin of the Teams integration for ${data.accountName}`,
        hello,
        [
          {
            kind: 'paragraph',
            text: `Another person is now the Global Admin of the Microsoft Teams integration for ${data.accountName}. You no longer need to run its syncs.`,
          },
          { kind: 'paragraph', text: `If this change is unexpected, please contact ${brand.supportContact}.` },
        ],
        foot,
      );
    case 'licenseCountChanged':
      return render(
        `The number of Teams integration licences for ${data.accountName} has changed`,
        hello,
        [
          { kind: 'paragraph', text: `The number of Microsoft Teams integration licences for ${data.accountName} has changed.` },
          {
            kind: 'facts',
            items: [
              ['Previous number', String(data.previous)],
              ['New number', String(data.current)],
            ],
          },
          {
            kind: 'paragraph',
            text:
              data.current > data.previous
                ? `You can map more voice users to Teams users in the voice portal (${brand.portalUrl}).`
                : 'If more voice users are mapped than the new number allows, no new mappings can be saved until some are removed.',
          },
        ],
        foot,
      );
    case 'integrationRemoved':
      return render(
        `The Teams integration for ${data.accountName} has been removed`,
        hello,
        data.finalSyncNeeded
          ? [
              {
                kind: 'paragraph',
                text: `The Microsoft Teams integration has been removed from ${data.accountName}. Teams users linked through it can no longer call through ${brand.providerName} from the Teams dial pad.`,
              },
              { kind: 'paragraph', text: 'One last sync removes the phone numbers and policies the integration added to Teams:' },
              {
                kind: 'steps',
                items: [
                  'Open the integration page with the button below.',
                  'Select "Sync now" and sign in with your Microsoft 365 Global Administrator account.',
                ],
              },
              { kind: 'button', label: 'Run the final sync', href: data.integrationLink },
              { kind: 'paragraph', text: `If the integration was removed by mistake, please contact ${brand.supportContact}.` },
            ]
          : [
              {
                kind: 'paragraph',
                text: `The Microsoft Teams integration has been removed from ${data.accountName}. It was never activated, so nothing needs to be done in Teams.`,
              },
              { kind: 'paragraph', text: `If the integration was removed by mistake, please contact ${brand.supportContact}.` },
            ],
        foot,
      );
    case 'syncFailed':
      return render(
        data.status === 'Expired'
          ? `The Teams sync for ${data.accountName} did not finish in time`
          : `The Teams sync for ${data.accountName} failed`,
        hello,
        [
          {
            kind: 'paragraph',
            text:
              data.status === 'Expired'
                ? `The sync you authorised for ${data.accountName} ran out of time before every change reached Microsoft Teams: a Microsoft sign-in only lasts about an hour. ${data.applied} changes were applied and stay applied; ${data.left} are left. Sign in again to finish: the next sync applies only what is left.`
                : `The sync you authorised for ${data.accountName} failed, so Microsoft Teams may not show the latest changes from the voice portal.`,
          },
          {
            kind: 'facts',
            items: [
              ['Run id', data.runId],
              ...(data.reason ? [['Reason', `${data.reason.message} (${data.reason.code})`] as [string, string]] : []),
            ],
          },
          {
            kind: 'steps',
            items: [
              'Open the integration page with the button below.',
              'Select "Sync now" (or "Final sync", for a removal) and sign in with your Microsoft 365 Global Administrator account.',
            ],
          },
          { kind: 'button', label: data.status === 'Expired' ? 'Sign in again to finish' : 'Run the sync again', href: data.syncLink },
          { kind: 'paragraph', text: `If it fails again, please contact ${brand.supportContact} and give the run id ${data.runId}.` },
        ],
        foot,
      );
  }
}
