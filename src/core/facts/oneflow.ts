/**
 * The OneFlow service: its roles, the attributes workers publish through OneGate (the elasticity rules read them),
 * and the timings of membership, routing and scaling. The service template (src/build/oneflow/) is generated from
 * these and the settings declarations.
 */

/** ONEAPP_COPILOT_SERVICE_ROLE: one VM alone (the default), or a OneFlow service's front or one of its workers. */
export const COPILOT_ROLES = ['standalone', 'front', 'worker'] as const;
export type CopilotRole = (typeof COPILOT_ROLES)[number];
/** The roles of the service template; OneFlow role names are `^\w+$`. */
export const SERVICE_ROLES = ['front', 'worker'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

/** A VM's OneGate access: one-context's ONEGATE_ENDPOINT, VMID and token (TOKEN=YES in the VM's CONTEXT). */
export interface OneGateAccess {
  readonly endpoint: string;
  readonly token: string;
  readonly vmId: string;
}

/** The service secret's least length (ONEAPP_COPILOT_SERVICE_SECRET). */
export const SERVICE_SECRET_MIN_LENGTH = 32;

/**
 * What a worker publishes with OneGate `PUT /vm` (USER_TEMPLATE, where elasticity expressions look first). OneFlow
 * averages each over the role's RUNNING VMs that have it.
 */
export const WORKER_METRICS = {
  /** Completions waiting in the worker's relay queue (the one being served not counted), at publication time. */
  queue: 'SLM_COPILOT_QUEUE',
  /** Percent of the last publication period during which a completion was in flight (0–100). */
  busy: 'SLM_COPILOT_BUSY',
} as const;
/** What a worker publishes when its relay first reports ready (ready_status_gate waits for it). */
export const READY_ATTRIBUTE = { name: 'READY', value: 'YES' } as const;
/**
 * What bootstrap publishes (stages/onegate.ts): the endpoint, and the CA's SHA-256 fingerprint (Node's
 * `X509Certificate.fingerprint256`, colon-separated hex) by which the front pins each worker's certificate.
 */
export const ONEGATE_ATTRIBUTES = {
  endpoint: 'ONEAPP_COPILOT_ENDPOINT',
  caFingerprint: 'ONEAPP_COPILOT_CA_FINGERPRINT',
} as const;

/** OneGate's VM states for a node that may serve: VM STATE ACTIVE (3) and LCM_STATE RUNNING (3). */
export const RUNNING_STATE = { state: '3', lcmState: '3' } as const;

export const FLOW_TIMINGS = {
  /** OneFlow's autoscaler loop (oneflow-server.conf :autoscaler_interval:): no policy is evaluated more often. */
  autoscalerIntervalS: 90,
  /** How often a worker publishes its metrics; at most once per elasticity period. */
  publishPeriodS: 90,
  /** How often the front lists the service's workers. */
  membershipPeriodS: 10,
  /**
   * After a scale, OneFlow waits this long before evaluating again: longer than a new worker's boot plus the model's
   * load plus the first warm-up (README "Scaling out" has the measured parts), so the new worker's capacity is seen
   * before another is added.
   */
  cooldownS: 900,
} as const;

/** The front moves a key off its home worker only when that worker has at least this many waiting (front-counted). */
export const SPILL_QUEUE_DEFAULT = 2;

/** The port a worker's nginx serves its front on (the worker site; the front's membership reaches it there). */
export const WORKER_HTTPS_PORT = 443;

/**
 * How a worker learns its front's address: OneFlow's parent-attribute substitution in the worker role's template
 * (evaluated when the worker VM is created; `front` is in the worker's parents).
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: OneFlow's own substitution syntax, written into the template as is
export const FRONT_ADDRESS_SUBSTITUTION = '${front.TEMPLATE.CONTEXT.ETH0_IP}';

/** Where configure keeps the OneGate token and the service secret for the relay's user (root:relay 0640). */
export const SERVICE_FILES = {
  oneGateToken: '/etc/slm-copilot/onegate.token',
  serviceSecret: '/etc/slm-copilot/service.secret',
  routerConfig: '/etc/slm-copilot/router.json',
} as const;

/**
 * The router's GET /health body: ready as a single VM's relay says it (clients and `check` read a front like one),
 * down with no worker; and how many workers it routes to now (doctor reads it on a front).
 */
export interface RouterHealth {
  readonly status: 'ready' | 'down';
  readonly workers: number;
}

/**
 * A worker's answer to anyone but its front with the service secret (HTTP 403, an OpenAI-shaped error with this code):
 * `slm-copilot check` recognises it and says to connect to the front.
 */
export const WORKER_REFUSAL = {
  code: 'oneflow_worker',
  message: 'This VM is a OneFlow worker and serves its front only: connect to the front.',
} as const;

/** Cardinality bounds of the worker role in the generated template. */
export const WORKER_BOUNDS = { min: 1, initial: 2, max: 8 } as const;
