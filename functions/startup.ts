/** Validates the settings as the app loads, so a bad deployment fails at start with a readable message. */
import { container } from '../shared/container';

container();
