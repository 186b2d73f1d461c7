/**
 * Port: the integration's tenant-level Teams voice objects (the PSTN usage in the Global list, the voice routing policy,
 * the calling policies), read and written with a run's delegated Teams admin token. Adapter:
 * shared/microsoft/teamsVoiceConfig.ts. Failures are values with stable codes (transient when a later try may work).
 */
import type { Result } from '../domain/errors';
import type { ActualTenantConfig, DesiredObject, FieldValue } from '../domain/tenantVoiceConfig';
import type { RequestIds, VoiceAccess } from './teamsVoice';

export interface TeamsVoiceConfig {
  /** The Global PSTN usage list and those of `wanted` that exist (with all their fields). */
  read(wanted: ReadonlyArray<Pick<DesiredObject, 'type' | 'name'>>): Promise<Result<ActualTenantConfig>>;
  /** Adds a usage to the Global PSTN usage list (adding one that is there changes nothing). */
  addPstnUsage(name: string): Promise<Result<RequestIds>>;
  /** Creates an object; one that exists already (a create that ran twice) counts as created. */
  create(type: DesiredObject['type'], name: string, fields: Record<string, FieldValue>): Promise<Result<RequestIds>>;
  /** Sets these fields of an existing object (the others are kept). */
  update(type: DesiredObject['type'], name: string, fields: Record<string, FieldValue>): Promise<Result<RequestIds>>;
  /** Removes an object; one already gone is a success. */
  remove(type: DesiredObject['type'], name: string): Promise<Result<RequestIds>>;
  /** Takes a usage out of the Global PSTN usage list (one not there is a success). */
  removePstnUsage(name: string): Promise<Result<RequestIds>>;
}

export type TeamsVoiceConfigFor = (access: Extract<VoiceAccess, { kind: 'run' }>) => TeamsVoiceConfig;
