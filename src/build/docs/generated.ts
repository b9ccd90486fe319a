/** Every file (or file section) generated from the settings declarations: `npm run generate` writes them, tests check them. */
import { MARKETPLACE_GENERATED_FILES } from '../marketplace/generatedFiles.ts';
import { APPLIANCE_SCRIPT, renderApplianceScript } from './applianceParams.ts';
import { settingsTable, TABLE_BEGIN, TABLE_END, withGeneratedSection } from './settingsTable.ts';

export interface GeneratedFile {
  /** Relative to the repository root. */
  readonly path: string;
  /** The file's full new text, given its current text. */
  readonly render: (current: string) => string;
}

export const GENERATED_FILES: readonly GeneratedFile[] = [
  {
    path: 'README.md',
    render: (current) => withGeneratedSection(current, TABLE_BEGIN, TABLE_END, settingsTable()),
  },
  { path: APPLIANCE_SCRIPT, render: renderApplianceScript },
  ...MARKETPLACE_GENERATED_FILES,
];
