import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { SERVICE_TEMPLATE_JSON } from '../../../src/build/docs/generated.ts';
import { APPLIANCE_INFO } from '../../../src/build/marketplace/appliance.ts';
import { serviceTemplateProblems } from '../../../src/build/oneflow/schema.ts';
import {
  checkExpression,
  ELASTICITY_POLICIES,
  SERVICE_MARKETPLACE_UUID,
} from '../../../src/build/oneflow/serviceTemplate.ts';
import { FLOW_TIMINGS, WORKER_METRICS } from '../../../src/core/facts/oneflow.ts';
import { DECLARATION_LIST } from '../../../src/core/settings/declarations.ts';

const root = new URL('../../../', import.meta.url);
// The committed files (the generated-files test keeps them equal to what the generator writes).
const template = JSON.parse(readFileSync(new URL(SERVICE_TEMPLATE_JSON, root), 'utf8')) as Record<
  string,
  unknown
>;
const entry = parse(
  readFileSync(new URL(`marketplace/${SERVICE_MARKETPLACE_UUID}.yaml`, root), 'utf8'),
) as Record<string, unknown>;
type Role = Record<string, unknown> & { name: string };
const roles = (t: Record<string, unknown>) => t.roles as Role[];

describe('the OneFlow service template (7.x) and its marketplace entry (6.x form)', () => {
  it('both pass the schema check, expressions included', () => {
    assert.deepEqual(serviceTemplateProblems(template, '7.x', checkExpression), []);
    assert.deepEqual(serviceTemplateProblems(entry.opennebula_template, '6.x', checkExpression), []);
  });
  it('the marketplace entry is a SERVICE_TEMPLATE whose roles name the appliance app, with no images', () => {
    assert.equal(entry.type, 'SERVICE_TEMPLATE');
    assert.deepEqual(entry.images, []);
    assert.deepEqual(entry.roles, { front: APPLIANCE_INFO.name, worker: APPLIANCE_INFO.name });
    assert.deepEqual(
      roles(entry.opennebula_template as Record<string, unknown>).map((r) => r.name),
      Object.keys(entry.roles as object),
    );
  });
  it('gates on READY, deploys the front first, and the worker role is elastic on the published metrics', () => {
    assert.equal(template.ready_status_gate, true);
    assert.equal(template.deployment, 'straight');
    const worker = roles(template).find((r) => r.name === 'worker') as Role;
    assert.deepEqual(worker.parents, ['front']);
    const policies = worker.elasticity_policies as { expression: string; cooldown: number; adjust: number }[];
    assert.deepEqual(
      policies.map((p) => Math.sign(p.adjust)),
      [1, -1],
    );
    for (const policy of policies) {
      assert.ok(policy.cooldown >= FLOW_TIMINGS.cooldownS);
      for (const metric of Object.values(WORKER_METRICS)) assert.ok(policy.expression.includes(metric));
    }
  });
  it('every variable a role reads is an input: shared ones at service level, the secret mandatory', () => {
    const service = template.user_inputs as Record<string, string>;
    for (const declaration of DECLARATION_LIST) {
      const shared = declaration.serviceRoles.length === 2;
      assert.equal(Object.hasOwn(service, declaration.name), shared, declaration.name);
      for (const role of roles(template)) {
        const own = Object.hasOwn(role.user_inputs as object, declaration.name);
        assert.equal(
          own,
          !shared && declaration.serviceRoles.includes(role.name as 'front'),
          declaration.name,
        );
      }
    }
    assert.match(service.ONEAPP_COPILOT_SERVICE_SECRET ?? '', /^M\|password\|/);
    for (const role of roles(template)) {
      const context = (role.template_contents as { CONTEXT: Record<string, string> }).CONTEXT;
      assert.equal(context.ONEAPP_COPILOT_SERVICE_ROLE, role.name);
    }
  });
  it('the 6.x form passes every input a role reads into its VM template, and sets the role', () => {
    for (const role of roles(entry.opennebula_template as Record<string, unknown>)) {
      const contents = role.vm_template_contents as string;
      assert.ok(contents.includes(`ONEAPP_COPILOT_SERVICE_ROLE = "${role.name}"`));
      for (const declaration of DECLARATION_LIST.filter((d) =>
        d.serviceRoles.includes(role.name as 'front'),
      )) {
        assert.ok(contents.includes(`${declaration.name} = "$${declaration.name}"`), declaration.name);
      }
    }
  });
  it('the policies of the template are the generator’s', () => {
    const worker = roles(template).find((r) => r.name === 'worker') as Role;
    assert.deepEqual(worker.elasticity_policies, ELASTICITY_POLICIES);
  });
});

describe('the schema check', () => {
  const valid = () => JSON.parse(JSON.stringify(template)) as Record<string, unknown> & { roles: Role[] };
  const problems = (t: unknown, form: '7.x' | '6.x' = '7.x') =>
    serviceTemplateProblems(t, form, checkExpression);
  it('refuses 6.x names in a 7.x template and 7.x names in a 6.x one', () => {
    const mixed = valid();
    (mixed.roles[0] as Role).vm_template = 3;
    assert.match(problems(mixed).join('\n'), /roles\[0\]\.vm_template: not a field/);
    assert.match(problems(template, '6.x').join('\n'), /template\.user_inputs: not a field/);
  });
  it('refuses missing required fields, wrong types and enums', () => {
    const broken = valid();
    delete (broken.roles[0] as Role).template_id;
    (broken.roles[1] as Role).type = 'vr';
    broken.deployment = 'parallel';
    (broken.roles[1] as Role).cardinality = 1.5;
    const text = problems(broken).join('\n');
    assert.match(text, /roles\[0\]\.template_id: required/);
    assert.match(text, /roles\[1\]\.type: "vr" is not one of vm/);
    assert.match(text, /template\.deployment: "parallel" is not one of none, straight/);
    assert.match(text, /roles\[1\]\.cardinality: expected integer/);
  });
  it('refuses bad role names, unknown parents, bounds around the cardinality and bad expressions', () => {
    const broken = valid();
    (broken.roles[0] as Role).name = 'slm-front';
    (broken.roles[1] as Role).cardinality = 9;
    delete (broken.roles[1] as Role).min_vms;
    ((broken.roles[1] as Role).elasticity_policies as { expression: string }[])[0] = {
      ...((broken.roles[1] as Role).elasticity_policies as { expression: string }[])[0],
      expression: 'SLM_COPILOT_QUEUE >= 1 && SLM_COPILOT_BUSY >= 80 || SLM_COPILOT_BUSY > 99',
    } as { expression: string };
    const text = problems(broken).join('\n');
    assert.match(text, /roles\[0\]\.name: "slm-front" must match/);
    assert.match(text, /roles\[1\]\.parents: "front" is not another role/);
    assert.match(text, /min_vms and max_vms are required/);
    assert.match(text, /cardinality 9 is above max_vms 8/);
    assert.match(text, /elasticity_policies\[0\]\.expression: .*mixed chain/);
  });
});
