/**
 * The OneFlow service of SLM-Copilot, generated from the settings declarations and src/core/facts/oneflow.ts: a
 * `front` role (one VM: TLS, keys, routing) and a `worker` role (the model; elastic on what workers publish).
 *
 * Two forms of the same service:
 * - the OneFlow 7.x template (`type`, `template_id`, `template_contents`, `user_inputs`), for `oneflow-template
 *   create` once `template_id` names the imported SLM-Copilot VM template;
 * - the community marketplace's `SERVICE_TEMPLATE` entry, whose template is written in the 6.x form the official
 *   and community service entries use (`vm_template_contents` text, `custom_attrs`): OpenNebula 6.10 reads it as it
 *   is, and 7.x converts it on creation when every role is in that form; exporting it sets each role's `vm_template`
 *   to the VM template exported from the app named in `roles`.
 *
 * Every ONEAPP variable a role reads is an input: service-level when both roles read it (the service secret, the
 * API timeout), role-level otherwise; ONEAPP_COPILOT_SERVICE_ROLE is set per role.
 */
import {
  FLOW_TIMINGS,
  FRONT_ADDRESS_SUBSTITUTION,
  SERVICE_ROLES,
  type ServiceRole,
  WORKER_BOUNDS,
  WORKER_METRICS,
} from '../../core/facts/oneflow.ts';
import { expressionProblems } from '../../core/flow/expression.ts';
import { DECLARATION_LIST, DECLARATIONS } from '../../core/settings/declarations.ts';
import type { Declaration } from '../../core/settings/types.ts';
import type { ImageManifest } from '../image/manifest.ts';
import { APPLIANCE_INFO } from '../marketplace/appliance.ts';
import { renderYaml } from '../marketplace/marketplaceYaml.ts';
import { userInputSpec } from '../marketplace/userInputs.ts';
import { serviceTemplateProblems, type TemplateForm } from './schema.ts';

/** The community-marketplace file of the service is `<SERVICE_MARKETPLACE_UUID>.yaml`. Never change it. */
export const SERVICE_MARKETPLACE_UUID = '07f826d8-eee4-4aa3-b93f-ae7f4065b0f5';
export const SERVICE_NAME = 'SLM-Copilot Service';
/** The service input naming the network every VM of the service joins (`$Public` in the roles' NICs). */
export const SERVICE_NETWORK = 'Public';

/**
 * Scale up when, averaged over the running workers, a completion waits and the workers were busy most of the
 * period; down when nothing waits and they were nearly idle. Both parenthesised: OneFlow has no precedence.
 */
export const ELASTICITY_POLICIES = [
  {
    type: 'CHANGE',
    adjust: 1,
    expression: `(${WORKER_METRICS.queue} >= 1) && (${WORKER_METRICS.busy} >= 80)`,
    period: FLOW_TIMINGS.publishPeriodS,
    period_number: 3,
    cooldown: FLOW_TIMINGS.cooldownS,
  },
  {
    type: 'CHANGE',
    adjust: -1,
    expression: `(${WORKER_METRICS.queue} < 1) && (${WORKER_METRICS.busy} <= 10)`,
    period: 300,
    period_number: 6,
    cooldown: FLOW_TIMINGS.cooldownS,
  },
] as const;

/** The declarations that role reads and the service does not share, in declaration order. */
function roleInputs(role: ServiceRole, declarations: readonly Declaration<unknown>[]) {
  return declarations.filter(
    (declaration) =>
      declaration.serviceRoles.includes(role) && declaration.serviceRoles.length < SERVICE_ROLES.length,
  );
}

function serviceInputs(declarations: readonly Declaration<unknown>[]) {
  return declarations.filter((declaration) => declaration.serviceRoles.length === SERVICE_ROLES.length);
}

/** The service secret is optional for one VM and mandatory in the service. */
const inputsOf = (declarations: readonly Declaration<unknown>[]) =>
  Object.fromEntries(
    declarations.map((declaration) => [
      declaration.name,
      userInputSpec(
        declaration.name === DECLARATIONS.serviceSecret.name
          ? { ...declaration, userInput: { ...declaration.userInput, mandatory: true } }
          : declaration,
      ),
    ]),
  );

const NETWORKS = { [SERVICE_NETWORK]: `M|network|${SERVICE_NETWORK}||id:` };

/** Per role: cardinality, parents, and the worker's bounds and policies (the front is one VM, not elastic). */
function roleShape(role: ServiceRole) {
  if (role === 'front') return { cardinality: 1 };
  return {
    cardinality: WORKER_BOUNDS.initial,
    parents: ['front'],
    min_vms: WORKER_BOUNDS.min,
    max_vms: WORKER_BOUNDS.max,
    cooldown: FLOW_TIMINGS.cooldownS,
    elasticity_policies: ELASTICITY_POLICIES.map((policy) => ({ ...policy })),
    scheduled_policies: [],
  };
}

/** A worker learns its front's address from OneFlow's parent-attribute substitution. */
const frontAddressOf = (role: ServiceRole): Record<string, string> =>
  role === 'worker' ? { [DECLARATIONS.frontAddress.name]: FRONT_ADDRESS_SUBSTITUTION } : {};

const serviceShape = {
  deployment: 'straight',
  description:
    'SLM-Copilot scaled out: one front (TLS, API keys, CORS, and a router that keeps each key on the worker holding its prompt cache) and elastic workers that serve the model to the front only.',
  // Graceful: a stopping worker's relay answers 503 and the front moves its keys.
  shutdown_action: 'terminate',
  ready_status_gate: true,
} as const;

/** The OneFlow 7.x service template. `templateId`: the SLM-Copilot VM template both roles instantiate. */
export function serviceTemplate(templateId = 0, declarations = DECLARATION_LIST) {
  return checked('7.x', {
    name: SERVICE_NAME,
    ...serviceShape,
    networks: NETWORKS,
    user_inputs: inputsOf(serviceInputs(declarations)),
    roles: SERVICE_ROLES.map((role) => ({
      name: role,
      type: 'vm',
      template_id: templateId,
      ...roleShape(role),
      template_contents: {
        NIC: [{ NETWORK_ID: `$${SERVICE_NETWORK}` }],
        CONTEXT: { [DECLARATIONS.role.name]: role, ...frontAddressOf(role) },
      },
      user_inputs: inputsOf(roleInputs(role, declarations)),
    })),
  });
}

/** The same service in the 6.x form of marketplace entries (see the file comment). */
export function marketplaceServiceTemplate(declarations = DECLARATION_LIST) {
  return checked('6.x', {
    name: SERVICE_NAME,
    ...serviceShape,
    networks: NETWORKS,
    custom_attrs: inputsOf(serviceInputs(declarations)),
    roles: SERVICE_ROLES.map((role) => {
      const inputs = [...serviceInputs(declarations), ...roleInputs(role, declarations)];
      return {
        name: role,
        ...roleShape(role),
        // Top-level attributes: the VM template's CONTEXT reads each as "$ONEAPP_…".
        vm_template_contents: [
          `NIC = [ NETWORK_ID = "$${SERVICE_NETWORK}" ]`,
          `${DECLARATIONS.role.name} = "${role}"`,
          ...Object.entries(frontAddressOf(role)).map(([name, value]) => `${name} = "${value}"`),
          ...inputs.map((declaration) => `${declaration.name} = "$${declaration.name}"`),
        ].join('\n'),
        custom_attrs: inputsOf(roleInputs(role, declarations)),
      };
    }),
  });
}

/** Judges an elasticity expression: OneFlow parses it, reads it as written, and it names what workers publish. */
export const checkExpression = (expression: string) =>
  expressionProblems(expression, Object.values(WORKER_METRICS));

/** The template, or an error listing every way OneFlow would refuse or misread it. */
function checked<T>(form: TemplateForm, template: T): T {
  const problems = serviceTemplateProblems(template, form, checkExpression);
  if (problems.length > 0)
    throw new Error(`the ${form} service template is invalid:\n${problems.join('\n')}`);
  return template;
}

export function serviceMarketplaceEntry(manifest: ImageManifest) {
  return {
    name: SERVICE_NAME,
    version: manifest.version,
    publisher: APPLIANCE_INFO.publisher,
    description: `${serviceShape.description}\n\nEvery role instantiates the ${APPLIANCE_INFO.name} appliance (exported with the service). Give the service a network (${SERVICE_NETWORK}) and a service secret of at least 32 characters; the README's "Scaling out" section sizes the roles.`,
    short_description: 'SLM-Copilot on OneFlow: a routing front and elastic CPU workers',
    tags: [...APPLIANCE_INFO.tags, 'oneflow'],
    type: 'SERVICE_TEMPLATE',
    creation_time: manifest.creation_time,
    hypervisor: APPLIANCE_INFO.hypervisor,
    opennebula_version: APPLIANCE_INFO.opennebulaVersions,
    // Role name → the marketplace app each role is exported from (matched by name).
    roles: Object.fromEntries(SERVICE_ROLES.map((role) => [role, APPLIANCE_INFO.name])),
    opennebula_template: marketplaceServiceTemplate(),
    logo: APPLIANCE_INFO.logo,
    images: [],
  };
}

export function renderServiceMarketplaceYaml(manifest: ImageManifest): string {
  return renderYaml(serviceMarketplaceEntry(manifest), [
    'Generated by `npm run generate` from src/build/oneflow/serviceTemplate.ts and the settings declarations; do not edit.',
    'The OneFlow service entry (type SERVICE_TEMPLATE) of the community marketplace; its roles use the SLM-Copilot app.',
  ]);
}

export function renderServiceTemplateJson(): string {
  return `${JSON.stringify(serviceTemplate(), null, 2)}\n`;
}
