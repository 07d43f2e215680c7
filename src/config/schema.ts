// The published JSON Schema (config/homelab-dr.schema.json) is the single source of truth for the
// config's shape and defaults. It is compiled once per process, on first use.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import configSchemaJson from '../../config/homelab-dr.schema.json' with { type: 'json' };

export const configSchema: Record<string, unknown> = configSchemaJson;

let compiled: ValidateFunction | undefined;

/** A fresh ajv set up the way the loader uses the schema (exported for the schema's own tests). */
export function createConfigAjv(): Ajv {
  // strictRequired off: the "exactly one of" rules are oneOf branches that only list required keys.
  // optimize off: compiling is on every `plan`, and unoptimised code validates a config just as fast.
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    useDefaults: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    code: { optimize: false },
  });
  // Editor annotation (yaml-language-server shows it); the loader reads it to word pattern errors.
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  return ajv;
}

/** Validates `data` in place: missing optional fields receive the schema's defaults. */
export function validateConfigShape(data: unknown): ErrorObject[] {
  compiled ??= createConfigAjv().compile(configSchema);
  return compiled(data) ? [] : [...(compiled.errors ?? [])];
}
