/** Timer: once an hour, deletes OAuth sessions (state, sealed PKCE verifier) that expired more than an hour ago. */
import { app, InvocationContext, Timer } from '@azure/functions';
import { container } from '../shared/container';

export async function purgeAuthSessions(_timer: Timer, context: InvocationContext): Promise<void> {
  const purged = await container().activation.purgeExpiredSessions();
  context.log(`Purged ${purged} expired sign-in sessions.`);
}

app.timer('purgeAuthSessions', { schedule: '0 17 * * * *', handler: purgeAuthSessions });
