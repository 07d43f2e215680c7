// The product version, read from package.json so that it is written in one place only.
import packageJson from '../package.json' with { type: 'json' };

export const VERSION: string = packageJson.version;
