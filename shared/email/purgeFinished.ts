/** Use case: the records of emails finished (sent or failed) longer ago than the retention are deleted. */
import { OutboxStore } from './ports';

export function purgeFinishedEmails(deps: { outbox: OutboxStore; now: () => Date; retentionDays: number }): Promise<number> {
  return deps.outbox.purgeFinished(new Date(deps.now().getTime() - deps.retentionDays * 86_400_000));
}
