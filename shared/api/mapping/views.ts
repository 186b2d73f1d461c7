/** What the API answers to a mapping save. */
import { licenseUsage } from '../../domain/mapping';
import { SaveOutcome } from '../../mapping/saveMapping';

export const mappingSavedView = (saved: SaveOutcome) => ({
  version: saved.version,
  changed: saved.changed,
  licenses: licenseUsage(saved.licenseCount, saved.summary.held),
  queuedChanges: saved.summary.queued,
});
