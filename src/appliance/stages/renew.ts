/**
 * `slm-copilot renew` (daily timer, and certbot's deploy hook): re-issue the appliance leaf when it nears expiry
 * or the addresses changed, retry Let's Encrypt, install a renewed one, and reload nginx when anything changed.
 */

import { UNITS } from '../../core/facts/units.ts';
import { EXIT } from '../../core/lib/failure.ts';
import { problemSentence } from '../../core/settings/types.ts';
import { ensureLetsEncrypt } from './bootstrap.ts';
import type { StageEnvironment } from './environment.ts';
import { prepare } from './prepare.ts';

export async function renew(stage: StageEnvironment, acmeServer?: string): Promise<number> {
  const result = prepare(stage);
  if (!result.ok) {
    for (const problem of result.problems) stage.log('error', problemSentence(problem));
    return EXIT.refused;
  }
  const acme = await ensureLetsEncrypt(stage, result.prepared, acmeServer);
  if (result.prepared.tls.issued && acme.refreshed === null) {
    stage.host.services.nginxTest();
    stage.host.services.tryReload(UNITS.nginx);
    stage.log('info', 'renew: certificate renewed; nginx reloaded');
  } else if (acme.refreshed === null) {
    stage.log('info', 'renew: nothing to renew');
  }
  return EXIT.ok;
}
