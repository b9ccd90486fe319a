/** Every file (or file section) generated from the settings declarations: `npm run generate` writes them, tests check them. */
import {
  committedManifest,
  MARKETPLACE_DIR,
  MARKETPLACE_GENERATED_FILES,
} from '../marketplace/generatedFiles.ts';
import {
  renderServiceMarketplaceYaml,
  renderServiceTemplateJson,
  SERVICE_MARKETPLACE_UUID,
} from '../oneflow/serviceTemplate.ts';
import { APPLIANCE_SCRIPT, renderApplianceScript } from './applianceParams.ts';
import { settingsTable, TABLE_BEGIN, TABLE_END, withGeneratedSection } from './settingsTable.ts';

export interface GeneratedFile {
  /** Relative to the repository root. */
  readonly path: string;
  /** The file's full new text, given its current text. */
  readonly render: (current: string) => string;
}

/** The OneFlow 7.x service template, for `oneflow-template create` (README "Scaling out"). */
export const SERVICE_TEMPLATE_JSON = `${MARKETPLACE_DIR}/oneflow-service.json`;

export const GENERATED_FILES: readonly GeneratedFile[] = [
  {
    path: 'README.md',
    render: (current) => withGeneratedSection(current, TABLE_BEGIN, TABLE_END, settingsTable()),
  },
  { path: APPLIANCE_SCRIPT, render: renderApplianceScript },
  ...MARKETPLACE_GENERATED_FILES,
  {
    path: `${MARKETPLACE_DIR}/${SERVICE_MARKETPLACE_UUID}.yaml`,
    render: () => renderServiceMarketplaceYaml(committedManifest()),
  },
  { path: SERVICE_TEMPLATE_JSON, render: renderServiceTemplateJson },
];
