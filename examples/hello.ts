// The smallest de2 program: prints what this installation offers.
// Until the runtime lands it shows the versions; examples/random-forest.ts becomes the main job.
import { PROTOCOL_VERSION } from '@de2/core';
import { resolveForestOptions } from '@de2/forest';

const forest = resolveForestOptions({ nEstimators: 10 });
console.log(`de2 is installed: protocol ${PROTOCOL_VERSION}, forest defaults ${JSON.stringify(forest)}`);
