/** Timer: once an hour, deletes OAuth sessions (state, sealed PKCE verifier) that expired more than an hour ago. */
import { app } from '@azure/functions';
import { container } from '../shared/container';

app.timer('purgeAuthSessions', {
  schedule: '0 17 * * * *',
  handler: async (_timer, context) => {
    const purged = await container().activation.sessions.purgeExpired(new Date(Date.now() - 3600_000));
    context.log(`Purged ${purged} expired sign-in sessions.`);
  },
});
