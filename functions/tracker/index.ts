/**
 * The FC handler of das-kill-tracker (`index.handler`). Thin on purpose: the configuration is
 * read and validated once, when FC loads the module, so a bad variable fails the instance's
 * initialisation with a message naming it (SPEC 4); everything else lives in `shared/`.
 */
import type { FcContext } from '../../shared/runtime/context.js';
import { createProductionTracker } from '../../shared/runtime/production.js';
import type { InvocationReport } from '../../shared/runtime/tracker.js';

const tracker = createProductionTracker(process.env);

/** FC passes the event as a Buffer (protocols.md 4.1); the returned object goes back as JSON. */
export const handler = (event: Buffer, context: FcContext): Promise<InvocationReport> =>
  tracker.handle(event, context);
