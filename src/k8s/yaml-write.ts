// The one YAML writer: every YAML homelab-dr writes (sealed secrets, k3d and kwok configs,
// kubeconfigs) must read back the same under YAML 1.2 and under kubectl's YAML 1.1. The yaml
// package already quotes a string its own (1.2 core) schema would read as something else; the
// compat tag below makes it quote one that goyaml.v2, or another YAML 1.1 reader, would.
import { stringify, type ToStringOptions } from 'yaml';
import { goResolve } from './yaml11-resolve.js';

// YAML 1.1 readers other than goyaml.v2 (PyYAML, ruamel) also take base-60 numbers and timestamps.
const SEXAGESIMAL = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/;

const readAsOtherThanText = {
  test: (text: string): boolean =>
    text === '<<' || typeof goResolve(text).value !== 'string' || SEXAGESIMAL.test(text) || TIMESTAMP.test(text),
};

const YAML_1_1_PLAIN_NON_STRING = {
  tag: 'tag:homelab-dr,2026:yaml-1.1-non-string',
  default: true,
  // Only its test is used, while stringifying: a plain scalar it matches would not read back as text.
  test: readAsOtherThanText as unknown as RegExp,
  resolve: (text: string): string => text,
};

export function writeYaml(value: unknown, options: ToStringOptions = {}): string {
  return stringify(value, { ...options, compat: [YAML_1_1_PLAIN_NON_STRING] });
}
