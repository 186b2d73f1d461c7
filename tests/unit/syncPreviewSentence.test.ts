import { enableAccount } from '../../shared/domain/account';
import { renderIntegrationPage } from '../../shared/pages/integrationPage';
import { syncPreviewSentence } from '../../shared/pages/syncPreviewSentence';

describe('syncPreviewSentence', () => {
  test('every kind of change, in order, with singular and plural, and the skipped users', () => {
    expect(
      syncPreviewSentence({
        operations: {
          grantCallingPolicy: 5,
          unassignNumber: 1,
          assignNumber: 3,
          revokeCallingPolicy: 1,
          grantVoiceRoutingPolicy: 1,
          revokeVoiceRoutingPolicy: 2,
        },
        usersRefused: 1,
      }),
    ).toBe(
      'This sync will assign 3 numbers, remove 1 number, set 1 voice routing policy, set 5 calling policies, remove 2 voice routing policies and remove 1 calling policy. 1 user will be skipped (see the portal).',
    );
  });

  test('one kind alone; two kinds joined with "and"; several skipped users', () => {
    expect(syncPreviewSentence({ operations: { assignNumber: 1 }, usersRefused: 0 })).toBe('This sync will assign 1 number.');
    expect(syncPreviewSentence({ operations: { unassignNumber: 2, revokeCallingPolicy: 2 }, usersRefused: 3 })).toBe(
      'This sync will remove 2 numbers and remove 2 calling policies. 3 users will be skipped (see the portal).',
    );
  });

  test('nothing to do, with or without skipped users (zero counts say nothing)', () => {
    expect(syncPreviewSentence({ operations: {}, usersRefused: 0 })).toBe('This sync will change nothing in Microsoft Teams.');
    expect(syncPreviewSentence({ operations: { assignNumber: 0 }, usersRefused: 2 })).toBe(
      'This sync will change nothing in Microsoft Teams. 2 users will be skipped (see the portal).',
    );
  });
});

describe('the integration page shows the preview next to the sync button only', () => {
  const brand = { providerName: 'Voice', supportContact: 'help@voice.example' };
  const active = {
    ...enableAccount(
      'acme',
      {
        name: 'Acme',
        licenseCount: 3,
        globalAdmin: { portalUserId: 'ga', displayName: 'Dana', email: 'd@acme.example' },
        tenantId: '3f1c5a2e-8b7d-4c19-a6e4-2d9b0f7c3e51',
      },
      { policyPrefix: 'VoiceSync', numberType: 'directRouting' },
      new Date('2026-01-01T00:00:00Z'),
    ).account,
    state: 'active' as const,
  };
  const model = { account: active, discovery: undefined, link: 'a.b.c', csrfToken: 't', queuedChanges: 2 };
  const syncPreview = { operations: { assignNumber: 2 }, usersRefused: 1 };

  test('with a preview: the sentence before the sync button', () => {
    const page = renderIntegrationPage(brand, { ...model, syncPreview });
    expect(page).toMatch(
      /<p class="sync-preview">This sync will assign 2 numbers\. 1 user will be skipped \(see the portal\)\.<\/p>\s*<form method="post" action="\/api\/integration\/sync">/,
    );
  });

  test('without a preview (it failed), or without a sync button, no sentence', () => {
    expect(renderIntegrationPage(brand, model)).not.toContain('sync-preview');
    expect(renderIntegrationPage(brand, { ...model, account: { ...active, state: 'invited' }, syncPreview })).not.toContain(
      'This sync will',
    );
  });
});
