/**
 * OneFlow's service-template schema as OpenNebula validates it (`ServiceTemplate` SCHEMA and VM_ROLE_SCHEMA of
 * OpenNebula 7.x; ROLE_SCHEMA of 6.10 for the marketplace form), written as field lists: the types, enums, minimums,
 * required fields and the cross-field rules (`min_vms ≤ cardinality ≤ max_vms`, bounds required with policies,
 * unique `^\w+$` role names, known parents, parseable expressions). Unknown fields are refused, so a 6.x name in a
 * 7.x template (or the reverse) is caught. Returns every problem.
 */
import { isRecord } from '../../core/lib/isRecord.ts';

type Kind = 'string' | 'integer' | 'boolean' | 'object' | 'array';

interface Field {
  readonly kind: Kind;
  readonly required?: boolean;
  readonly values?: readonly string[];
  readonly min?: number;
}

export type TemplateForm = '7.x' | '6.x';

const SHUTDOWN = ['terminate', 'terminate-hard', 'shutdown', 'shutdown-hard'] as const;
const ADJUST_TYPES = ['CHANGE', 'CARDINALITY', 'PERCENTAGE_CHANGE'] as const;

const SERVICE_COMMON: Record<string, Field> = {
  name: { kind: 'string', required: true },
  deployment: { kind: 'string', values: ['none', 'straight'] },
  description: { kind: 'string' },
  shutdown_action: { kind: 'string', values: SHUTDOWN },
  roles: { kind: 'array', required: true },
  ready_status_gate: { kind: 'boolean' },
  automatic_deletion: { kind: 'boolean' },
  networks: { kind: 'object' },
  networks_values: { kind: 'array' },
  on_hold: { kind: 'boolean' },
};

const SERVICE_FIELDS: Record<TemplateForm, Record<string, Field>> = {
  '7.x': { ...SERVICE_COMMON, user_inputs: { kind: 'object' }, user_inputs_values: { kind: 'object' } },
  '6.x': { ...SERVICE_COMMON, custom_attrs: { kind: 'object' }, custom_attrs_values: { kind: 'object' } },
};

const ROLE_COMMON: Record<string, Field> = {
  name: { kind: 'string', required: true },
  cardinality: { kind: 'integer', min: 0 },
  parents: { kind: 'array' },
  shutdown_action: { kind: 'string', values: SHUTDOWN },
  min_vms: { kind: 'integer', min: 0 },
  max_vms: { kind: 'integer', min: 0 },
  cooldown: { kind: 'integer', min: 0 },
  on_hold: { kind: 'boolean' },
  elasticity_policies: { kind: 'array' },
  scheduled_policies: { kind: 'array' },
};

/**
 * 6.x: `vm_template` is required by 6.10's schema, but a marketplace entry leaves it out: exporting the entry sets it
 * to the VM template exported with the role's app. So it is optional here, and its text form is what is checked.
 */
const ROLE_FIELDS: Record<TemplateForm, Record<string, Field>> = {
  '7.x': {
    ...ROLE_COMMON,
    type: { kind: 'string', required: true, values: ['vm'] },
    template_id: { kind: 'integer', required: true, min: 0 },
    template_contents: { kind: 'object' },
    user_inputs: { kind: 'object' },
    user_inputs_values: { kind: 'object' },
  },
  '6.x': {
    ...ROLE_COMMON,
    vm_template: { kind: 'integer', min: 0 },
    vm_template_contents: { kind: 'string' },
    custom_attrs: { kind: 'object' },
    custom_attrs_values: { kind: 'object' },
  },
};

const ELASTICITY_FIELDS: Record<string, Field> = {
  type: { kind: 'string', required: true, values: ADJUST_TYPES },
  adjust: { kind: 'integer', required: true },
  min_adjust_step: { kind: 'integer', min: 1 },
  period_number: { kind: 'integer', min: 0 },
  period: { kind: 'integer', min: 0 },
  expression: { kind: 'string', required: true },
  cooldown: { kind: 'integer', min: 0 },
};

function fieldProblems(where: string, value: unknown, fields: Record<string, Field>): string[] {
  if (!isRecord(value)) return [`${where}: expected an object`];
  const problems: string[] = [];
  for (const name of Object.keys(value)) {
    if (!Object.hasOwn(fields, name)) problems.push(`${where}.${name}: not a field of this schema`);
  }
  for (const [name, field] of Object.entries(fields)) {
    const item = value[name];
    if (item === undefined) {
      if (field.required === true) problems.push(`${where}.${name}: required`);
      continue;
    }
    const kindOk =
      field.kind === 'integer'
        ? Number.isInteger(item)
        : field.kind === 'array'
          ? Array.isArray(item)
          : field.kind === 'object'
            ? isRecord(item)
            : typeof item === field.kind;
    if (!kindOk) {
      problems.push(`${where}.${name}: expected ${field.kind}, got ${JSON.stringify(item)}`);
      continue;
    }
    if (field.values !== undefined && !field.values.includes(item as string)) {
      problems.push(`${where}.${name}: ${JSON.stringify(item)} is not one of ${field.values.join(', ')}`);
    }
    if (field.min !== undefined && (item as number) < field.min) {
      problems.push(`${where}.${name}: ${item} is below ${field.min}`);
    }
  }
  return problems;
}

/**
 * Every problem of a service template in that form; `expressionCheck` judges each elasticity expression (OneFlow
 * parses them when the template is created).
 */
export function serviceTemplateProblems(
  template: unknown,
  form: TemplateForm,
  expressionCheck: (expression: string) => readonly string[],
): string[] {
  const problems = fieldProblems('template', template, SERVICE_FIELDS[form]);
  if (!isRecord(template) || !Array.isArray(template.roles)) return problems;
  const names = template.roles.map((role) => (isRecord(role) ? role.name : undefined));
  for (const [index, role] of template.roles.entries()) {
    const where = `roles[${index}]`;
    problems.push(...fieldProblems(where, role, ROLE_FIELDS[form]));
    if (!isRecord(role)) continue;
    problems.push(...roleRules(where, role, names));
  }
  if (isRecord(template.networks)) {
    for (const [name, spec] of Object.entries(template.networks)) {
      if (typeof spec !== 'string' || !/^[MO]\|network\|[^|]*\|[^|]*\|/.test(spec)) {
        problems.push(`template.networks.${name}: expected "M|network|<description>||<default>"`);
      }
    }
  }
  return [
    ...problems,
    ...policiesOf(template.roles).flatMap(({ where, expression }) =>
      expressionCheck(expression).map((problem) => `${where}.expression: ${problem}`),
    ),
  ];
}

function roleRules(where: string, role: Record<string, unknown>, names: readonly unknown[]): string[] {
  const problems: string[] = [];
  if (typeof role.name === 'string') {
    if (!/^\w+$/.test(role.name)) problems.push(`${where}.name: "${role.name}" must match ^\\w+$`);
    if (names.filter((name) => name === role.name).length > 1)
      problems.push(`${where}.name: "${role.name}" is not unique`);
  }
  for (const parent of Array.isArray(role.parents) ? role.parents : []) {
    if (parent === role.name || !names.includes(parent))
      problems.push(`${where}.parents: ${JSON.stringify(parent)} is not another role`);
  }
  const policies = [role.elasticity_policies, role.scheduled_policies].some(
    (list) => Array.isArray(list) && list.length > 0,
  );
  const { min_vms: min, max_vms: max } = role;
  const cardinality = typeof role.cardinality === 'number' ? role.cardinality : 0;
  if (policies && (min === undefined || max === undefined))
    problems.push(`${where}: min_vms and max_vms are required with elasticity or scheduled policies`);
  if (typeof min === 'number' && cardinality < min)
    problems.push(`${where}: cardinality ${cardinality} is below min_vms ${min}`);
  if (typeof max === 'number' && cardinality > max)
    problems.push(`${where}: cardinality ${cardinality} is above max_vms ${max}`);
  if (Array.isArray(role.elasticity_policies)) {
    for (const [index, policy] of role.elasticity_policies.entries())
      problems.push(...fieldProblems(`${where}.elasticity_policies[${index}]`, policy, ELASTICITY_FIELDS));
  }
  return problems;
}

function policiesOf(roles: readonly unknown[]): { where: string; expression: string }[] {
  return roles.flatMap((role, roleIndex) =>
    isRecord(role) && Array.isArray(role.elasticity_policies)
      ? role.elasticity_policies.flatMap((policy, index) =>
          isRecord(policy) && typeof policy.expression === 'string'
            ? [{ where: `roles[${roleIndex}].elasticity_policies[${index}]`, expression: policy.expression }]
            : [],
        )
      : [],
  );
}
