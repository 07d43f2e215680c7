import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { isRecord } from '../../src/util/helpers.js';
import { configSchema, createConfigAjv, validateConfigShape } from '../../src/config/schema.js';
import { readYamlSource } from '../../src/config/yaml-source.js';

const here = dirname(fileURLToPath(import.meta.url));
const schemaFile = resolve(here, '../../config/homelab-dr.schema.json');
// The design folder sits beside the repository (../shared), in CI as here.
const designExample = readFileSync(resolve('../shared/design/homelab.example.yaml'), 'utf8');

/** A validator without defaults, so that validating does not change the data. */
function plainValidator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  return ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
}

type SchemaNode = Record<string, unknown>;

/** Every subschema with its JSON-pointer-ish location. */
function subschemas(node: unknown, at = '#'): Array<[string, SchemaNode]> {
  if (!isRecord(node)) return [];
  const found: Array<[string, SchemaNode]> = [[at, node]];
  for (const [key, child] of Object.entries(node)) {
    if (key === 'properties' || key === 'definitions') {
      for (const [name, sub] of Object.entries(child as SchemaNode)) found.push(...subschemas(sub, `${at}/${key}/${name}`));
    } else if (Array.isArray(child)) {
      child.forEach((sub, i) => found.push(...subschemas(sub, `${at}/${key}/${i}`)));
    } else if (isRecord(child)) {
      found.push(...subschemas(child, `${at}/${key}`));
    }
  }
  return found;
}

function definition(ref: string): SchemaNode {
  const name = ref.replace('#/definitions/', '');
  return (configSchema.definitions as Record<string, SchemaNode>)[name]!;
}

describe('the published JSON Schema', () => {
  it('is a valid draft-07 schema, and compiles in ajv strict mode', () => {
    const ajv = createConfigAjv();
    expect(configSchema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(ajv.validateSchema(configSchema)).toBe(true);
    expect(() => ajv.compile(configSchema)).not.toThrow();
  });

  it('the file on disk is the schema the loader uses', () => {
    expect(JSON.parse(readFileSync(schemaFile, 'utf8'))).toEqual(configSchema);
  });

  it('describes every property, for editor completion and hover', () => {
    const undescribed = subschemas(configSchema)
      .filter(([at]) => /\/properties\/[^/]+$/.test(at))
      .filter(([, node]) => !('description' in node))
      .filter(([, node]) => !(typeof node.$ref === 'string' && 'description' in definition(node.$ref)))
      // The conditions of if/then are not fields of their own.
      .filter(([at]) => !/\/if\/properties\//.test(at))
      .map(([at]) => at);
    expect(undescribed).toEqual([]);
  });

  it('closes every fixed-shape object: additionalProperties false wherever properties are listed', () => {
    const open = subschemas(configSchema)
      .filter(([, node]) => isRecord(node.properties) && node.additionalProperties !== false)
      // The store's own properties only list `type`; each type's `then` closes the rest.
      .filter(([at]) => at !== '#/definitions/secretStore')
      // if-clauses test a value, they do not describe a shape.
      .filter(([at]) => !/\/if$/.test(at))
      .map(([at]) => at);
    expect(open).toEqual([]);
    const storeBranches = (definition('#/definitions/secretStore').allOf as SchemaNode[]).map((branch) => (branch.then as SchemaNode).additionalProperties);
    expect(storeBranches).toEqual([false, false, false, false, false, false]);
  });

  it('accepts the design example as the loader reads it, before and after defaults', () => {
    const data = readYamlSource(designExample).data;
    const validate = plainValidator();
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
    expect(validateConfigShape(data)).toEqual([]);
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
    expect((data as { cluster: SchemaNode }).cluster.servers).toBe(1);
  });

  it('accepts apps as a plain list, as an editor sees the file', () => {
    const validate = plainValidator();
    const config = {
      apiVersion: 'homelab-dr/v1',
      kind: 'RecoveryPlan',
      cluster: { provider: 'kwok', name: 'r' },
      apps: [{ name: 'web', manifests: './web' }],
    };
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...config, apps: [{ name: 'web' }] })).toBe(false);
  });
});
