// Turns ajv's errors into one plain sentence per problem, tied to a field path. Wrapper errors of
// if/then and oneOf are folded so that each problem is reported once.
import type { ErrorObject } from 'ajv';
import { isRecord } from '../util/helpers.js';
import { pointerToPath } from './field-path.js';
import type { ConfigIssue } from './issues.js';
import { didYouMean } from './suggest.js';

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'empty',
};

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

function schemaOf(error: ErrorObject): Record<string, unknown> {
  return isRecord(error.parentSchema) ? error.parentSchema : {};
}

function rangeMessage(error: ErrorObject): string {
  const schema = schemaOf(error);
  const what = schema.type === 'integer' ? 'an integer' : 'a number';
  if (typeof schema.minimum === 'number' && typeof schema.maximum === 'number') {
    return `must be ${what} from ${schema.minimum} to ${schema.maximum}`;
  }
  return error.keyword === 'minimum' ? `must be ${what} >= ${String(schema.minimum)}` : `must be ${what} <= ${String(schema.maximum)}`;
}

/** The keys of a oneOf whose branches each only require keys: "exactly one of manifests, kustomize, helm". */
function oneOfRequiredKeys(error: ErrorObject): string[] | undefined {
  const branches = error.schema;
  if (!Array.isArray(branches)) return undefined;
  const keys: string[] = [];
  for (const branch of branches) {
    if (!isRecord(branch) || Object.keys(branch).length !== 1 || !Array.isArray(branch.required)) return undefined;
    keys.push(...branch.required.map(String));
  }
  return keys;
}

function quotedList(values: unknown[]): string {
  return values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value))).join(', ');
}

function issueFor(error: ErrorObject, data: unknown): ConfigIssue {
  const path = pointerToPath(error.instancePath, data);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return { path, message: `must be ${typeWords(params.type)}` };
    case 'required':
      return { path: [...path, String(params.missingProperty)], message: 'required key is missing', at: 'key' };
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys(isRecord(schemaOf(error).properties) ? (schemaOf(error).properties as object) : {});
      return { path: [...path, key], message: `unknown key${didYouMean(key, allowed)}`, at: 'key' };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]) ?? [];
      const suggestion = typeof error.data === 'string' ? didYouMean(error.data, allowed.filter((v): v is string => typeof v === 'string')) : '';
      return { path, message: `must be one of: ${quotedList(allowed)}${suggestion}` };
    }
    case 'const':
      return { path, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'minimum':
    case 'maximum':
      return { path, message: rangeMessage(error) };
    case 'minLength':
      return { path, message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters` };
    case 'maxLength':
      return { path, message: `must be at most ${String(params.limit)} characters` };
    case 'minItems':
      return { path, message: `must list at least ${String(params.limit)} item(s)` };
    case 'minProperties':
      return { path, message: `must have at least ${String(params.limit)} entr${params.limit === 1 ? 'y' : 'ies'}` };
    case 'pattern': {
      const wording = schemaOf(error).patternErrorMessage;
      return { path, message: typeof wording === 'string' ? wording : `must match ${String(params.pattern)}` };
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      const names = schemaOf(error).propertyNames;
      const wording = isRecord(names) && typeof names.patternErrorMessage === 'string' ? names.patternErrorMessage : 'is not a valid key';
      return { path: [...path, name], message: `key ${wording}`, at: 'key' };
    }
    case 'oneOf': {
      const keys = oneOfRequiredKeys(error);
      return { path, message: keys === undefined ? error.message ?? 'is not valid' : `set exactly one of: ${keys.join(', ')}` };
    }
    case 'dependencies':
      return { path: [...path, String(params.property)], message: `needs "${String(params.missingProperty)}" beside it`, at: 'key' };
    default:
      return { path, message: error.message ?? 'is not valid' };
  }
}

/** Errors that restate others: if/then wrappers, the inside of folded oneOf and propertyNames, repeated type errors. */
function foldedAway(errors: ErrorObject[]): Set<ErrorObject> {
  const folded = new Set<ErrorObject>();
  const owners = errors.filter((e) => e.keyword === 'propertyNames' || (e.keyword === 'oneOf' && oneOfRequiredKeys(e) !== undefined));
  const typeSeen = new Set<string>();
  // With value and store both set, "store needs key" only adds noise to "set exactly one of".
  const oneOfPaths = new Set(owners.filter((owner) => owner.keyword === 'oneOf').map((owner) => owner.instancePath));
  for (const error of errors) {
    if (error.keyword === 'if') folded.add(error);
    if (error.keyword === 'dependencies' && oneOfPaths.has(error.instancePath)) folded.add(error);
    if (owners.some((owner) => owner !== error && error.schemaPath.startsWith(`${owner.schemaPath}/`))) folded.add(error);
    if (error.keyword === 'type') {
      if (typeSeen.has(error.instancePath)) folded.add(error);
      typeSeen.add(error.instancePath);
    }
  }
  return folded;
}

export function schemaIssues(errors: ErrorObject[], data: unknown): ConfigIssue[] {
  const folded = foldedAway(errors);
  return errors.filter((error) => !folded.has(error)).map((error) => issueFor(error, data));
}
