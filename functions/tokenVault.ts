/** Timer: once an hour, deletes and purges every sync run token past its expiry (a crashed run leaves none behind). */
import { app, InvocationContext, Timer } from '@azure/functions';
import { container } from '../shared/container';

export async function purgeExpiredTokens(_timer: Timer, context: InvocationContext): Promise<void> {
  const purged = await container().sync.purgeExpiredTokens();
  context.log(`Purged ${purged} expired sync run tokens.`);
}

app.timer('purgeExpiredTokens', { schedule: '0 41 * * * *', handler: purgeExpiredTokens });
