/**
 * The guest harness from the command line (`make guest`):
 *
 *   npx tsx tools/guest/main.ts base     build (or find) the cached base layer and print where it is
 *   npx tsx tools/guest/main.ts image    base layer, then an appliance layer and its disk in a new run directory
 *
 * The boot suite (test/acceptance/boot/) does the same through the modules, then boots the disk.
 */
import { ensureBaseLayer } from './base.ts';

const command = process.argv[2] ?? 'image';
if (command === 'base') {
  const base = await ensureBaseLayer();
  console.log(JSON.stringify(base, null, 2));
} else if (command === 'image') {
  const { buildGuestImage } = await import('./image.ts');
  const image = await buildGuestImage();
  console.log(JSON.stringify(image, null, 2));
} else {
  console.error('usage: tools/guest/main.ts base|image');
  process.exit(2);
}
