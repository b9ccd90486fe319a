/**
 * The fixed facts of the marketplace entry: its UUID (the file name in the community marketplace; it never changes
 * across versions, clients track the appliance by it), names, texts, and the VM the appliance needs. Everything
 * that varies per build comes from the image manifest; every variable comes from the settings declarations.
 */
import { LAYOUT } from '../../core/facts/layout.ts';

/** The community-marketplace file is `<MARKETPLACE_UUID>.yaml`. Never change it: it identifies the appliance. */
export const MARKETPLACE_UUID = 'd7c5e6ee-e879-4b06-a7bf-092e5710fa20';

/** The appliance directory name in marketplace-community (`appliances/<name>/`) and the harness's image name. */
export const HARNESS_APP_NAME = 'slm-copilot';

export const APPLIANCE_INFO = {
  name: 'SLM-Copilot',
  publisher: 'SLM-Copilot maintainers',
  shortDescription:
    'Sovereign CPU-only AI coding assistant for VS Code Cline: Devstral Small 2 on LocalAI behind TLS and API keys',
  tags: [
    'ai',
    'llm',
    'coding',
    'copilot',
    'cline',
    'devstral',
    'localai',
    'cpu',
    'sovereign',
    'ubuntu',
    'service',
  ],
  logo: 'slm-copilot.png',
  /** OpenNebula releases the appliance is offered to (the one-apps v7.2.1 context package supports them). */
  opennebulaVersions: '6.10, 7.0, 7.2',
  hypervisor: 'KVM',
  /**
   * Where the qcow2 is published: `<imageBaseUrl><image file name>`. Set it to the releases' hosting before the
   * first publication (docs/BUILD.md, Publishing); until then the `.invalid` domain, which never resolves, keeps an
   * unpublished entry from pointing anywhere. `slm-copilot marketplace --image-base-url` overrides it for one run.
   */
  imageBaseUrl: 'https://images.slm-copilot.invalid/',
} as const;

export const APPLIANCE_DESCRIPTION = `SLM-Copilot is a sovereign, CPU-only AI coding assistant. It serves Mistral's
[Devstral Small 2](https://mistral.ai/news/devstral) (24B, Q4_K_M GGUF, baked into the image) with
[LocalAI](https://localai.io) on 127.0.0.1, behind nginx: TLS, Bearer API keys and Basic auth, CORS and
unbuffered streaming. No GPU, no Docker, no calls home.

**Give the VM** 16 vCPU, 32 GB of RAM and \`CPU_MODEL=[MODEL="host-passthrough"]\` (the template below does):
without host-passthrough QEMU hides AVX2 and inference is about 20 times slower.

**Connect VS Code's Cline**: the report in \`${LAYOUT.report}\` (root only) has a \`[Cline]\` section. Choose
the provider *OpenAI Compatible* and enter its \`base_url\` (with \`/v1\`), \`api_key\`, the model id
\`devstral-small-2\` and \`context_window_size\`.

**Settings**: every input is optional; empty takes the default. API keys and the Basic auth password are generated
on first boot when not given, and kept across reboots. TLS uses the appliance's own CA unless a domain (Let's
Encrypt) or an operator certificate is given; \`GET /ca.pem\` serves the CA.`;

/** The VM the appliance needs (the sizing in README "Sizing in brief": 32 GB gets a 32768-token context). */
export const APPLIANCE_VM = {
  cpu: '16',
  vcpu: '16',
  memoryMib: '32768',
  cpuModel: 'host-passthrough',
  arch: 'x86_64',
} as const;

/**
 * The key the certification harness instantiates the VM with (its spec calls the API with it). Public on
 * purpose: it only ever opens the throwaway certification VM.
 */
export const HARNESS_API_KEY = 'certification:sk-certification-0123456789abcdefghijklmnopqrstuv';
