/** What the directory and mapping use cases share, wired by the container. */
import { AccountStore } from '../accounts/ports';
import { TeamsUserStore } from '../discovery/ports';
import { VoiceUserStore } from './ports';

export interface MappingDeps {
  accounts: AccountStore;
  voiceUsers: VoiceUserStore;
  teamsUsers: TeamsUserStore;
}
