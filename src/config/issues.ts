// One problem found in a config, tied to a field; load.ts turns it into `file:line:col: field: message`.
import type { FieldPath } from './field-path.js';

export interface ConfigIssue {
  path: FieldPath;
  message: string;
  /** Point at the key (unknown or missing keys) or at the value (the default). */
  at?: 'key' | 'value';
  /** For a repeated name: where it first appeared (reported as its line). */
  firstAt?: FieldPath;
}
