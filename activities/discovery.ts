/**
 * The discovery orchestration's activities (see orchestrations/discoverTenant.ts): each runs one idempotent step from
 * the container; transient faults throw (the orchestrator retries them), permanent ones return as values.
 */
import * as df from 'durable-functions';
import { container } from '../shared/container';
import {
  BeginInput,
  CompleteInput,
  DiscoveryActivities as A,
  FailInput,
  LicencesInput,
  MarkGoneInput,
  UsersPageInput,
} from '../shared/discovery/contract';

const steps = () => container().discovery.steps;

export const discoveryBegin = (input: BeginInput) => steps().begin(input);
export const discoveryUsersPage = (input: UsersPageInput) => steps().usersPage(input);
export const discoveryLicences = (input: LicencesInput) => steps().licences(input);
export const discoveryMarkGone = (input: MarkGoneInput) => steps().markGone(input);
export const discoveryComplete = (input: CompleteInput) => steps().complete(input);
export const discoveryFail = (input: FailInput) => steps().fail(input);

df.app.activity(A.begin, { handler: discoveryBegin });
df.app.activity(A.usersPage, { handler: discoveryUsersPage });
df.app.activity(A.licences, { handler: discoveryLicences });
df.app.activity(A.markGone, { handler: discoveryMarkGone });
df.app.activity(A.complete, { handler: discoveryComplete });
df.app.activity(A.fail, { handler: discoveryFail });
